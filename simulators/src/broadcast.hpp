// Internal: numpy broadcasting of parameter shapes, shared by validation and the standalone sampler.
#ifndef LUMIS_BROADCAST_HPP
#define LUMIS_BROADCAST_HPP

#include "lumis/lumis.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lumis {

/// The shape pyprob reads: `t.shape`, except that no shape with several elements is a vector.
std::vector<int32_t> shapeOf(const Tensor& t);

/// The number of elements of `shape` (1 for []).
std::size_t elementCount(const std::vector<int32_t>& shape);

/// Categorical's K: the last extent of the probs' shape (1 for a 0-D probs, read as one category).
std::size_t categoryCount(const Tensor& probs);

/// The numpy broadcast of two shapes into `*out` (if not null); false if some aligned extents differ and neither
/// is 1.
bool broadcastShapes(const std::vector<int32_t>& a, const std::vector<int32_t>& b, std::vector<int32_t>* out);

/// Maps a row-major element index of a broadcast shape to the flat offset of one operand.
class BroadcastIndex {
public:
    /// `operand` must broadcast to `shape`.
    BroadcastIndex(const std::vector<int32_t>& operand, const std::vector<int32_t>& shape);
    std::size_t operator()(std::size_t flat) const;

private:
    std::vector<int32_t> extents_;
    std::vector<std::size_t> strides_;
};

}  // namespace lumis

#endif  // LUMIS_BROADCAST_HPP
