// Standalone (prior) sampling for all 11 PPX kinds with <random>, after the same validation and normalisation
// the engine applies (docs/distribution-semantics.md).
#include "broadcast.hpp"

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

namespace lumis {

namespace {

const char* const kindNames[] = {"Normal", "Uniform", "Categorical", "Poisson", "Bernoulli", "Beta",
                                 "Exponential", "Gamma", "LogNormal", "Binomial", "Weibull"};

/// Draws elementwise over the broadcast of the parameter shapes; `draw(a, b)` gets the two parameter values.
template <class Draw>
Tensor elementwise(const Tensor& first, const Tensor& second, Draw draw) {
    Tensor out;
    broadcastShapes(shapeOf(first), shapeOf(second), &out.shape);
    const BroadcastIndex a(shapeOf(first), out.shape), b(shapeOf(second), out.shape);
    out.data.resize(elementCount(out.shape));
    for (std::size_t i = 0; i < out.data.size(); ++i) out.data[i] = draw(first.data[a(i)], second.data[b(i)]);
    return out;
}

template <class Draw>
Tensor elementwise(const Tensor& only, Draw draw) {
    return elementwise(only, only, [&](double x, double) { return draw(x); });
}

struct PriorSampler {
    std::mt19937_64& g;

    Tensor operator()(const Normal& d) {
        return elementwise(d.mean, d.stddev, [&](double m, double s) { return std::normal_distribution<double>(m, s)(g); });
    }
    Tensor operator()(const Uniform& d) {
        return elementwise(d.low, d.high, [&](double lo, double hi) {
            return std::uniform_real_distribution<double>(lo, hi)(g);
        });
    }
    Tensor operator()(const Categorical& d) {
        // Rows along the last axis; the value drops that axis. Probs are already normalised.
        const std::size_t width = categoryCount(d.probs);
        Tensor out;
        const auto shape = shapeOf(d.probs);
        if (!shape.empty()) out.shape.assign(shape.begin(), shape.end() - 1);
        out.data.resize(d.probs.data.size() / width);
        for (std::size_t r = 0; r < out.data.size(); ++r) {
            const auto first = d.probs.data.begin() + static_cast<std::ptrdiff_t>(r * width);
            std::discrete_distribution<int> pick(first, first + static_cast<std::ptrdiff_t>(width));
            out.data[r] = pick(g);
        }
        return out;
    }
    Tensor operator()(const Poisson& d) {
        return elementwise(d.rate, [&](double rate) {
            // <random> requires a positive mean; Poisson(0) is the point mass at 0.
            return rate > 0 ? static_cast<double>(std::poisson_distribution<long long>(rate)(g)) : 0.0;
        });
    }
    Tensor operator()(const Bernoulli& d) {
        return elementwise(d.probs, [&](double p) { return std::bernoulli_distribution(p)(g) ? 1.0 : 0.0; });
    }
    Tensor operator()(const Beta& d) {
        return elementwise(d.concentration1, d.concentration0, [&](double a, double b) {
            // X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b) is Beta(a, b).
            const double x = std::gamma_distribution<double>(a, 1.0)(g);
            const double y = std::gamma_distribution<double>(b, 1.0)(g);
            return x + y > 0 ? x / (x + y) : (a >= b ? 1.0 : 0.0);
        });
    }
    Tensor operator()(const Exponential& d) {
        return elementwise(d.rate, [&](double rate) { return std::exponential_distribution<double>(rate)(g); });
    }
    Tensor operator()(const Gamma& d) {
        return elementwise(d.concentration, d.rate, [&](double c, double rate) {
            return std::gamma_distribution<double>(c, 1.0 / rate)(g);  // <random> takes a scale.
        });
    }
    Tensor operator()(const LogNormal& d) {
        return elementwise(d.loc, d.scale, [&](double m, double s) { return std::lognormal_distribution<double>(m, s)(g); });
    }
    Tensor operator()(const Binomial& d) {
        return elementwise(d.total_count, d.probs, [&](double n, double p) {
            if (n > 9e15) throw std::invalid_argument("Binomial total_count " + std::to_string(n) + " is too large for the standalone sampler");
            return static_cast<double>(std::binomial_distribution<long long>(static_cast<long long>(n), p)(g));
        });
    }
    Tensor operator()(const Weibull& d) {
        return elementwise(d.scale, d.concentration, [&](double scale, double k) {
            return std::weibull_distribution<double>(k, scale)(g);  // <random> takes (shape, scale).
        });
    }
};

}  // namespace

const char* kindName(const Distribution& distribution) { return kindNames[distribution.index()]; }

Tensor samplePrior(const Distribution& distribution, std::mt19937_64& generator) {
    return std::visit(PriorSampler{generator}, normalized(distribution));
}

}  // namespace lumis
