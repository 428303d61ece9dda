#include "lumis/lumis.hpp"

#include <stdexcept>
#include <string>

namespace lumis {

Tensor::Tensor(std::initializer_list<double> values)
    : data(values), shape{static_cast<int32_t>(values.size())} {}

Tensor::Tensor(std::vector<double> data_, std::vector<int32_t> shape_) : data(std::move(data_)), shape(std::move(shape_)) {
    std::size_t count = 1;
    for (int32_t d : shape) {
        if (d < 0) throw std::invalid_argument("lumis::Tensor: negative dimension " + std::to_string(d));
        count *= static_cast<std::size_t>(d);
    }
    if (count != data.size() && !(data.empty() && shape.empty())) {
        throw std::invalid_argument("lumis::Tensor: shape holds " + std::to_string(count) + " elements but data has " +
                                    std::to_string(data.size()));
    }
}

Tensor Tensor::vector(std::vector<double> values) {
    const auto n = static_cast<int32_t>(values.size());
    return Tensor(std::move(values), {n});
}

double Tensor::item() const {
    if (data.size() != 1) {
        throw std::logic_error("lumis::Tensor::item: tensor has " + std::to_string(data.size()) + " elements, not 1");
    }
    return data[0];
}

bool operator==(const Tensor& a, const Tensor& b) { return a.data == b.data && a.shape == b.shape; }

}  // namespace lumis
