// The parameter rules of docs/distribution-semantics.md (pyprob 1.5.0 / torch argument constraints), the same
// rules the engine applies (LumisDistributions' Distribution.validate), and torch's Categorical normalisation.
#include "broadcast.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

namespace lumis {

namespace {

std::string number(double x) {
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, x);
    return std::string(buffer, result.ptr);
}

std::string shapeText(const std::vector<int32_t>& shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

[[noreturn]] void invalid(const char* kind, const char* parameter, std::size_t index, double value,
                          const std::string& requirement) {
    throw std::invalid_argument(std::string(kind) + " " + parameter + "[" + std::to_string(index) +
                                "] = " + number(value) + " " + requirement);
}

template <class Holds>
void require(const char* kind, const char* parameter, const Tensor& t, const char* requirement, Holds holds) {
    for (std::size_t i = 0; i < t.data.size(); ++i) {
        if (!holds(t.data[i])) invalid(kind, parameter, i, t.data[i], requirement);
    }
}

bool positive(double x) { return x > 0; }
bool nonNegative(double x) { return x >= 0; }
bool unitInterval(double x) { return x >= 0 && x <= 1; }

struct Validator {
    void parameters(const char* kind, std::initializer_list<std::pair<const char*, const Tensor*>> list) {
        std::vector<std::vector<int32_t>> shapes;
        for (const auto& [name, tensor] : list) {
            if (tensor->data.empty()) throw std::invalid_argument(std::string(kind) + " " + name + " is empty");
            require(kind, name, *tensor, "must be finite", [](double x) { return std::isfinite(x); });
            shapes.push_back(shapeOf(*tensor));
        }
        if (shapes.size() == 2 && !broadcastShapes(shapes[0], shapes[1], nullptr)) {
            auto it = list.begin();
            throw std::invalid_argument(std::string(kind) + " parameter shapes " + it->first + " " +
                                        shapeText(shapes[0]) + ", " + (it + 1)->first + " " + shapeText(shapes[1]) +
                                        " do not broadcast");
        }
    }

    void operator()(const Normal& d) {
        parameters("Normal", {{"mean", &d.mean}, {"stddev", &d.stddev}});
        require("Normal", "stddev", d.stddev, "must be positive", positive);
    }
    void operator()(const Uniform& d) {
        parameters("Uniform", {{"low", &d.low}, {"high", &d.high}});
        std::vector<int32_t> shape;
        broadcastShapes(shapeOf(d.low), shapeOf(d.high), &shape);
        const BroadcastIndex lowIndex(shapeOf(d.low), shape), highIndex(shapeOf(d.high), shape);
        for (std::size_t i = 0; i < elementCount(shape); ++i) {
            const std::size_t l = lowIndex(i), h = highIndex(i);
            if (!(d.low.data[l] < d.high.data[h])) {
                invalid("Uniform", "low", l, d.low.data[l], "must be less than high = " + number(d.high.data[h]));
            }
        }
    }
    void operator()(const Categorical& d) {
        parameters("Categorical", {{"probs", &d.probs}});
        require("Categorical", "probs", d.probs, "must be non-negative", nonNegative);
        const std::size_t width = categoryCount(d.probs);
        for (std::size_t row = 0; row * width < d.probs.data.size(); ++row) {
            double sum = 0;
            for (std::size_t k = 0; k < width; ++k) sum += d.probs.data[row * width + k];
            if (!(sum > 0) || !std::isfinite(sum)) {
                throw std::invalid_argument("Categorical probs row " + std::to_string(row) + " sums to " +
                                            number(sum) + "; a row needs a positive, finite sum to be normalised");
            }
        }
    }
    void operator()(const Poisson& d) {
        parameters("Poisson", {{"rate", &d.rate}});
        require("Poisson", "rate", d.rate, "must be non-negative", nonNegative);
    }
    void operator()(const Bernoulli& d) {
        parameters("Bernoulli", {{"probs", &d.probs}});
        require("Bernoulli", "probs", d.probs, "must be in [0, 1]", unitInterval);
    }
    void operator()(const Beta& d) {
        parameters("Beta", {{"concentration1", &d.concentration1}, {"concentration0", &d.concentration0}});
        require("Beta", "concentration1", d.concentration1, "must be positive", positive);
        require("Beta", "concentration0", d.concentration0, "must be positive", positive);
    }
    void operator()(const Exponential& d) {
        parameters("Exponential", {{"rate", &d.rate}});
        require("Exponential", "rate", d.rate, "must be positive", positive);
    }
    void operator()(const Gamma& d) {
        parameters("Gamma", {{"concentration", &d.concentration}, {"rate", &d.rate}});
        require("Gamma", "concentration", d.concentration, "must be positive", positive);
        require("Gamma", "rate", d.rate, "must be positive", positive);
    }
    void operator()(const LogNormal& d) {
        parameters("LogNormal", {{"loc", &d.loc}, {"scale", &d.scale}});
        require("LogNormal", "scale", d.scale, "must be positive", positive);
    }
    void operator()(const Binomial& d) {
        parameters("Binomial", {{"total_count", &d.total_count}, {"probs", &d.probs}});
        require("Binomial", "total_count", d.total_count, "must be a non-negative integer",
                [](double x) { return x >= 0 && std::floor(x) == x; });
        require("Binomial", "probs", d.probs, "must be in [0, 1]", unitInterval);
    }
    void operator()(const Weibull& d) {
        parameters("Weibull", {{"scale", &d.scale}, {"concentration", &d.concentration}});
        require("Weibull", "scale", d.scale, "must be positive", positive);
        require("Weibull", "concentration", d.concentration, "must be positive", positive);
    }
};

}  // namespace

std::vector<int32_t> shapeOf(const Tensor& t) {
    // As pyprob reads a wire tensor: no shape and several elements means a vector.
    if (t.shape.empty() && t.data.size() != 1) return {static_cast<int32_t>(t.data.size())};
    return t.shape;
}

std::size_t elementCount(const std::vector<int32_t>& shape) {
    std::size_t count = 1;
    for (int32_t d : shape) count *= static_cast<std::size_t>(d);
    return count;
}

std::size_t categoryCount(const Tensor& probs) {
    const auto shape = shapeOf(probs);
    return shape.empty() ? 1 : static_cast<std::size_t>(shape.back());
}

bool broadcastShapes(const std::vector<int32_t>& a, const std::vector<int32_t>& b, std::vector<int32_t>* out) {
    const std::size_t rank = std::max(a.size(), b.size());
    std::vector<int32_t> result(rank, 1);
    for (std::size_t axis = 0; axis < rank; ++axis) {
        const int32_t x = axis < rank - a.size() ? 1 : a[axis - (rank - a.size())];
        const int32_t y = axis < rank - b.size() ? 1 : b[axis - (rank - b.size())];
        if (x == y || y == 1) {
            result[axis] = x;
        } else if (x == 1) {
            result[axis] = y;
        } else {
            return false;
        }
    }
    if (out != nullptr) *out = std::move(result);
    return true;
}

BroadcastIndex::BroadcastIndex(const std::vector<int32_t>& operand, const std::vector<int32_t>& shape)
    : extents_(shape), strides_(shape.size(), 0) {
    std::size_t step = 1;
    for (std::size_t axis = shape.size(); axis-- > 0;) {
        if (axis + operand.size() < shape.size()) break;
        const int32_t extent = operand[axis + operand.size() - shape.size()];
        if (extent != 1) strides_[axis] = step;
        step *= static_cast<std::size_t>(extent);
    }
}

std::size_t BroadcastIndex::operator()(std::size_t flat) const {
    std::size_t offset = 0;
    for (std::size_t axis = extents_.size(); axis-- > 0;) {
        const auto extent = static_cast<std::size_t>(extents_[axis]);
        offset += (flat % extent) * strides_[axis];
        flat /= extent;
    }
    return offset;
}

void validate(const Distribution& distribution) { std::visit(Validator{}, distribution); }

Distribution normalized(const Distribution& distribution) {
    validate(distribution);
    const auto* categorical = std::get_if<Categorical>(&distribution);
    if (categorical == nullptr) return distribution;
    Tensor probs = categorical->probs;
    const std::size_t width = categoryCount(probs);
    for (std::size_t row = 0; row * width < probs.data.size(); ++row) {
        double sum = 0;
        for (std::size_t k = 0; k < width; ++k) sum += probs.data[row * width + k];
        if (sum == 1) continue;
        for (std::size_t k = 0; k < width; ++k) probs.data[row * width + k] /= sum;
    }
    return Categorical(std::move(probs));
}

}  // namespace lumis
