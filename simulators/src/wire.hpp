// Internal: conversions between lumis values and the flatc-generated PPX tables (shared by the library and
// the tools in simulators/tools).
#ifndef LUMIS_WIRE_HPP
#define LUMIS_WIRE_HPP

#include "lumis/lumis.hpp"
#include "ppx_generated.h"

#include <string>

namespace lumis::wire {

/// Writes a Tensor table with both `data` and `shape` vectors (PPX peers dereference both unchecked).
flatbuffers::Offset<ppx::Tensor> encode(flatbuffers::FlatBufferBuilder& builder, const Tensor& tensor);

/// Writes the distribution table; returns its union offset and sets `type` to its union tag.
flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder& builder, const Distribution& distribution,
                                 ppx::Distribution& type);

/// Reads a received Tensor. Returns false and sets `error` when it is absent, lacks data, or its shape does not
/// match its data. An absent shape is read as [] for one datum and [n] otherwise.
bool decode(const ppx::Tensor* tensor, Tensor& out, std::string& error);

/// Reads a received distribution union. Returns false and sets `error` when the tag is unknown or a parameter is
/// invalid as a tensor.
bool decode(ppx::Distribution type, const void* table, Distribution& out, std::string& error);

/// Checks a received frame with the FlatBuffers verifier (identifier not required) and returns its Message,
/// or nullptr. `bytes` must be 8-byte aligned.
const ppx::Message* verified(const uint8_t* bytes, std::size_t size);

}  // namespace lumis::wire

#endif  // LUMIS_WIRE_HPP
