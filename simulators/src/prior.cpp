// Standalone (prior) sampling for all 11 PPX kinds with <random>.
#include "lumis/lumis.hpp"

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

namespace lumis {

namespace {

const char* const kindNames[] = {"Normal", "Uniform", "Categorical", "Poisson", "Bernoulli", "Beta",
                                 "Exponential", "Gamma", "LogNormal", "Binomial", "Weibull"};

[[noreturn]] void invalid(const char* kind, const char* parameter, const std::string& why) {
    throw std::invalid_argument(std::string("lumis: ") + kind + "." + parameter + ": " + why);
}

/// Parameter shapes broadcast when each is a single element or all share one element count.
struct Broadcast {
    std::size_t count = 1;
    std::vector<int32_t> shape;

    void add(const char* kind, const char* parameter, const Tensor& t) {
        if (t.data.empty()) invalid(kind, parameter, "no data");
        if (t.data.size() == 1) return;
        if (count == 1) {
            count = t.data.size();
            shape = t.shape.empty() ? std::vector<int32_t>{static_cast<int32_t>(count)} : t.shape;
        } else if (t.data.size() != count) {
            invalid(kind, parameter, "has " + std::to_string(t.data.size()) + " elements, expected 1 or " +
                                         std::to_string(count));
        }
    }
};

double at(const Tensor& t, std::size_t i) { return t.data.size() == 1 ? t.data[0] : t.data[i]; }

void requirePositive(const char* kind, const char* parameter, double x) {
    if (!(x > 0) || !std::isfinite(x)) invalid(kind, parameter, "must be positive and finite, got " + std::to_string(x));
}

void requireProbability(const char* kind, const char* parameter, double x) {
    if (!(x >= 0 && x <= 1)) invalid(kind, parameter, "must be in [0, 1], got " + std::to_string(x));
}

template <class Draw>
Tensor elementwise(const Broadcast& b, Draw draw) {
    Tensor out;
    out.shape = b.shape;
    out.data.resize(b.count);
    for (std::size_t i = 0; i < b.count; ++i) out.data[i] = draw(i);
    return out;
}

struct PriorSampler {
    std::mt19937_64& g;

    Tensor operator()(const Normal& d) {
        Broadcast b;
        b.add("Normal", "mean", d.mean);
        b.add("Normal", "stddev", d.stddev);
        return elementwise(b, [&](std::size_t i) {
            const double sd = at(d.stddev, i);
            requirePositive("Normal", "stddev", sd);
            return std::normal_distribution<double>(at(d.mean, i), sd)(g);
        });
    }

    Tensor operator()(const Uniform& d) {
        Broadcast b;
        b.add("Uniform", "low", d.low);
        b.add("Uniform", "high", d.high);
        return elementwise(b, [&](std::size_t i) {
            const double lo = at(d.low, i), hi = at(d.high, i);
            if (!(lo < hi) || !std::isfinite(lo) || !std::isfinite(hi)) {
                invalid("Uniform", "high", "must be finite and above low");
            }
            return std::uniform_real_distribution<double>(lo, hi)(g);
        });
    }

    Tensor operator()(const Categorical& d) {
        const Tensor& p = d.probs;
        if (p.data.empty()) invalid("Categorical", "probs", "no data");
        const std::size_t k = p.shape.empty() ? p.data.size() : static_cast<std::size_t>(p.shape.back());
        if (k == 0 || p.data.size() % k != 0) invalid("Categorical", "probs", "inconsistent shape");
        double total = 0;
        for (double x : p.data) {
            if (!(x >= 0) || !std::isfinite(x)) invalid("Categorical", "probs", "must be finite and non-negative");
            total += x;
        }
        if (!(total > 0)) invalid("Categorical", "probs", "sum to zero");
        Tensor out;
        if (p.shape.size() > 1) out.shape.assign(p.shape.begin(), p.shape.end() - 1);
        const std::size_t rows = p.data.size() / k;
        out.data.resize(rows);
        for (std::size_t r = 0; r < rows; ++r) {
            const auto first = p.data.begin() + static_cast<std::ptrdiff_t>(r * k);
            std::discrete_distribution<int> pick(first, first + static_cast<std::ptrdiff_t>(k));
            out.data[r] = pick(g);
        }
        return out;
    }

    Tensor operator()(const Poisson& d) {
        Broadcast b;
        b.add("Poisson", "rate", d.rate);
        return elementwise(b, [&](std::size_t i) {
            const double rate = at(d.rate, i);
            requirePositive("Poisson", "rate", rate);
            return static_cast<double>(std::poisson_distribution<long long>(rate)(g));
        });
    }

    Tensor operator()(const Bernoulli& d) {
        Broadcast b;
        b.add("Bernoulli", "probs", d.probs);
        return elementwise(b, [&](std::size_t i) {
            const double p = at(d.probs, i);
            requireProbability("Bernoulli", "probs", p);
            return std::bernoulli_distribution(p)(g) ? 1.0 : 0.0;
        });
    }

    Tensor operator()(const Beta& d) {
        Broadcast b;
        b.add("Beta", "concentration1", d.concentration1);
        b.add("Beta", "concentration0", d.concentration0);
        return elementwise(b, [&](std::size_t i) {
            const double a = at(d.concentration1, i), c0 = at(d.concentration0, i);
            requirePositive("Beta", "concentration1", a);
            requirePositive("Beta", "concentration0", c0);
            // X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b) is Beta(a, b).
            const double x = std::gamma_distribution<double>(a, 1.0)(g);
            const double y = std::gamma_distribution<double>(c0, 1.0)(g);
            return x + y > 0 ? x / (x + y) : (a >= c0 ? 1.0 : 0.0);
        });
    }

    Tensor operator()(const Exponential& d) {
        Broadcast b;
        b.add("Exponential", "rate", d.rate);
        return elementwise(b, [&](std::size_t i) {
            const double rate = at(d.rate, i);
            requirePositive("Exponential", "rate", rate);
            return std::exponential_distribution<double>(rate)(g);
        });
    }

    Tensor operator()(const Gamma& d) {
        Broadcast b;
        b.add("Gamma", "concentration", d.concentration);
        b.add("Gamma", "rate", d.rate);
        return elementwise(b, [&](std::size_t i) {
            const double c = at(d.concentration, i), rate = at(d.rate, i);
            requirePositive("Gamma", "concentration", c);
            requirePositive("Gamma", "rate", rate);
            return std::gamma_distribution<double>(c, 1.0 / rate)(g);  // <random> takes a scale.
        });
    }

    Tensor operator()(const LogNormal& d) {
        Broadcast b;
        b.add("LogNormal", "loc", d.loc);
        b.add("LogNormal", "scale", d.scale);
        return elementwise(b, [&](std::size_t i) {
            const double s = at(d.scale, i);
            requirePositive("LogNormal", "scale", s);
            return std::lognormal_distribution<double>(at(d.loc, i), s)(g);
        });
    }

    Tensor operator()(const Binomial& d) {
        Broadcast b;
        b.add("Binomial", "total_count", d.total_count);
        b.add("Binomial", "probs", d.probs);
        return elementwise(b, [&](std::size_t i) {
            const double n = at(d.total_count, i), p = at(d.probs, i);
            if (!(n >= 0) || n != std::floor(n) || n > 1e15) {
                invalid("Binomial", "total_count", "must be a non-negative integer");
            }
            requireProbability("Binomial", "probs", p);
            return static_cast<double>(std::binomial_distribution<long long>(static_cast<long long>(n), p)(g));
        });
    }

    Tensor operator()(const Weibull& d) {
        Broadcast b;
        b.add("Weibull", "scale", d.scale);
        b.add("Weibull", "concentration", d.concentration);
        return elementwise(b, [&](std::size_t i) {
            const double scale = at(d.scale, i), k = at(d.concentration, i);
            requirePositive("Weibull", "scale", scale);
            requirePositive("Weibull", "concentration", k);
            return std::weibull_distribution<double>(k, scale)(g);  // <random> takes (shape, scale).
        });
    }
};

}  // namespace

const char* kindName(const Distribution& distribution) { return kindNames[distribution.index()]; }

Tensor samplePrior(const Distribution& distribution, std::mt19937_64& generator) {
    return std::visit(PriorSampler{generator}, distribution);
}

}  // namespace lumis
