// The C++ side of docs/distribution-semantics.md: the standalone sampler's per-kind moments, broadcasting and
// Categorical normalisation, and every rejection case with the engine's wording (LumisDistributionsTests holds
// the Swift side of the same table).
#include "lumis/lumis.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

int failures = 0;

#define EXPECT(condition)                                                                          \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::fprintf(stderr, "distributions_test:%d: EXPECT(%s) failed\n", __LINE__, #condition); \
            ++failures;                                                                            \
        }                                                                                          \
    } while (0)

using lumis::Tensor;

struct MomentCase {
    const char* label;
    lumis::Distribution distribution;
    double mean, variance;
};

/// N draws: the sample mean within 5 sd/sqrt(N) of the analytic mean, and the sample variance within 5 standard
/// errors (estimated from the sample's fourth central moment) of the analytic variance.
void checkMoments(const MomentCase& c, std::mt19937_64& generator) {
    constexpr int n = 40000;
    std::vector<double> draws(n);
    for (double& x : draws) x = lumis::samplePrior(c.distribution, generator).item();
    double mean = 0;
    for (double x : draws) mean += x;
    mean /= n;
    double m2 = 0, m4 = 0;
    for (double x : draws) {
        const double d = (x - mean) * (x - mean);
        m2 += d;
        m4 += d * d;
    }
    m2 /= n;
    m4 /= n;
    const double meanBound = 5 * std::sqrt(c.variance / n);
    const double varianceBound = 5 * std::sqrt(std::max(m4 - m2 * m2, 0.0) / n);
    if (!(std::abs(mean - c.mean) <= meanBound) || !(std::abs(m2 - c.variance) <= varianceBound)) {
        std::fprintf(stderr, "distributions_test: %s: mean %.6g (want %.6g ± %.3g), variance %.6g (want %.6g ± %.3g)\n",
                     c.label, mean, c.mean, meanBound, m2, c.variance, varianceBound);
        ++failures;
    }
}

/// `distribution` must be rejected with exactly `message`, by validate and by the sampler alike.
void expectRejected(const lumis::Distribution& distribution, const std::string& message) {
    std::mt19937_64 generator(1);
    for (int path = 0; path < 2; ++path) {
        try {
            if (path == 0) {
                lumis::validate(distribution);
            } else {
                lumis::samplePrior(distribution, generator);
            }
            std::fprintf(stderr, "distributions_test: accepted, expected \"%s\"\n", message.c_str());
            ++failures;
        } catch (const std::invalid_argument& e) {
            if (e.what() != message) {
                std::fprintf(stderr, "distributions_test: got \"%s\", expected \"%s\"\n", e.what(), message.c_str());
                ++failures;
            }
        }
    }
}

void expectAccepted(const lumis::Distribution& distribution, const std::vector<int32_t>& valueShape) {
    std::mt19937_64 generator(2);
    try {
        lumis::validate(distribution);
        const Tensor value = lumis::samplePrior(distribution, generator);
        if (value.shape != valueShape) {
            std::fprintf(stderr, "distributions_test: %s value has rank %zu, not %zu\n", lumis::kindName(distribution),
                         value.shape.size(), valueShape.size());
            ++failures;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "distributions_test: rejected a valid %s: %s\n", lumis::kindName(distribution), e.what());
        ++failures;
    }
}

}  // namespace

int main() {
    std::mt19937_64 generator(20261206);
    const double gamma1 = std::tgamma(1 + 1 / 0.6), gamma2 = std::tgamma(1 + 2 / 0.6);
    const MomentCase cases[] = {
        {"Normal(1.75, 0.5)", lumis::Normal(1.75, 0.5), 1.75, 0.25},
        {"Uniform(1.2, 2.5)", lumis::Uniform(1.2, 2.5), 1.85, 1.3 * 1.3 / 12},
        {"Categorical([0.1, 0.5, 0.4])", lumis::Categorical({0.1, 0.5, 0.4}), 1.3, 0.41},
        {"Categorical([1, 1, 1])", lumis::Categorical({1, 1, 1}), 1, 2.0 / 3},
        {"Categorical([0.2, 1.0, 0.8])", lumis::Categorical({0.2, 1.0, 0.8}), 1.3, 0.41},
        {"Poisson(4)", lumis::Poisson(4), 4, 4},
        {"Bernoulli(0.2)", lumis::Bernoulli(0.2), 0.2, 0.16},
        {"Beta(1.2, 2.5)", lumis::Beta(1.2, 2.5), 1.2 / 3.7, 1.2 * 2.5 / (3.7 * 3.7 * 4.7)},
        {"Exponential(2.2)", lumis::Exponential(2.2), 1 / 2.2, 1 / (2.2 * 2.2)},
        {"Gamma(0.5, 1.2)", lumis::Gamma(0.5, 1.2), 0.5 / 1.2, 0.5 / 1.44},
        {"LogNormal(0.5, 0.2)", lumis::LogNormal(0.5, 0.2), std::exp(0.5 + 0.02),
         std::expm1(0.04) * std::exp(1.0 + 0.04)},
        {"Binomial(10, 0.72)", lumis::Binomial(10, 0.72), 7.2, 10 * 0.72 * 0.28},
        {"Weibull(1.1, 0.6)", lumis::Weibull(1.1, 0.6), 1.1 * gamma1, 1.21 * (gamma2 - gamma1 * gamma1)},
    };
    for (const auto& c : cases) checkMoments(c, generator);

    // Poisson(0) is the point mass at 0 (torch accepts rate 0).
    EXPECT(lumis::samplePrior(lumis::Poisson(0), generator).item() == 0);
    // Normalisation: rows divided by their sums; already-normalised rows unchanged.
    const auto normalised = std::get<lumis::Categorical>(lumis::normalized(lumis::Categorical({2, 0, 6})));
    EXPECT(normalised.probs.data == std::vector<double>({0.25, 0, 0.75}));
    EXPECT(std::get<lumis::Categorical>(lumis::normalized(lumis::Categorical({0.25, 0.75}))).probs.data ==
           std::vector<double>({0.25, 0.75}));

    // Broadcasting (numpy rules) and Categorical's batch shape.
    expectAccepted(lumis::Normal(Tensor({0, 1, 2}, {3, 1}), Tensor({1, 2}, {2})), {3, 2});
    expectAccepted(lumis::Binomial(Tensor({10, 20}, {2}), Tensor({0.1, 0.9}, {2, 1})), {2, 2});
    expectAccepted(lumis::Gamma(Tensor({1, 2, 3}, {3}), 1.5), {3});
    expectAccepted(lumis::Categorical(Tensor({1, 1, 0, 3, 0, 1}, {2, 3})), {2});
    expectAccepted(lumis::Categorical(1.0), {});
    expectAccepted(lumis::Bernoulli(Tensor({0, 1}, {2})), {2});
    expectAccepted(lumis::Binomial(0, 1), {});
    expectAccepted(lumis::Uniform(-1e300, 1e300), {});
    // Broadcast draws use each element's own parameters: column 1 has stddev 2, mean by row.
    {
        constexpr int n = 20000;
        double sums[6] = {};
        for (int i = 0; i < n; ++i) {
            const Tensor v = lumis::samplePrior(lumis::Normal(Tensor({0, 10, 20}, {3, 1}), Tensor({1, 2}, {2})), generator);
            for (int j = 0; j < 6; ++j) sums[j] += v.data[static_cast<std::size_t>(j)];
        }
        for (int j = 0; j < 6; ++j) {
            const double mean = 10.0 * (j / 2), sd = j % 2 == 0 ? 1 : 2;
            EXPECT(std::abs(sums[j] / n - mean) <= 5 * sd / std::sqrt(n));
        }
    }
    // A row of a 2-D Categorical draws from its own normalised row.
    {
        constexpr int n = 20000;
        int ones = 0;
        for (int i = 0; i < n; ++i) {
            const Tensor v = lumis::samplePrior(lumis::Categorical(Tensor({1, 3, 1, 0}, {2, 2})), generator);
            EXPECT(v.data[1] == 0);
            ones += v.data[0] == 1;
        }
        EXPECT(std::abs(ones / double(n) - 0.75) <= 5 * std::sqrt(0.75 * 0.25 / n));
    }

    // Every rejection case of the table, in the engine's words.
    const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
    expectRejected(lumis::Normal(0, -1), "Normal stddev[0] = -1 must be positive");
    expectRejected(lumis::Normal(0, Tensor({1, 0}, {2})), "Normal stddev[1] = 0 must be positive");
    expectRejected(lumis::Normal(inf, 1), "Normal mean[0] = inf must be finite");
    expectRejected(lumis::Normal(Tensor({0, nan}, {2}), 1), "Normal mean[1] = nan must be finite");
    expectRejected(lumis::Normal(0, -inf), "Normal stddev[0] = -inf must be finite");
    expectRejected(lumis::Uniform(5, 5), "Uniform low[0] = 5 must be less than high = 5");
    expectRejected(lumis::Uniform(Tensor({1, 6}, {2}), 5), "Uniform low[1] = 6 must be less than high = 5");
    expectRejected(lumis::Categorical({0.5, -0.1, 0.6}), "Categorical probs[1] = -0.1 must be non-negative");
    expectRejected(lumis::Categorical({1, 1, inf}), "Categorical probs[2] = inf must be finite");
    expectRejected(lumis::Categorical(Tensor({0.5, 0.5, 0, 0}, {2, 2})),
                   "Categorical probs row 1 sums to 0; a row needs a positive, finite sum to be normalised");
    expectRejected(lumis::Categorical({1e308, 1e308}),
                   "Categorical probs row 0 sums to inf; a row needs a positive, finite sum to be normalised");
    expectRejected(lumis::Poisson(-0.5), "Poisson rate[0] = -0.5 must be non-negative");
    expectRejected(lumis::Bernoulli(1.5), "Bernoulli probs[0] = 1.5 must be in [0, 1]");
    expectRejected(lumis::Bernoulli(-0.1), "Bernoulli probs[0] = -0.1 must be in [0, 1]");
    expectRejected(lumis::Beta(0, 1), "Beta concentration1[0] = 0 must be positive");
    expectRejected(lumis::Beta(1, -2), "Beta concentration0[0] = -2 must be positive");
    expectRejected(lumis::Exponential(0), "Exponential rate[0] = 0 must be positive");
    expectRejected(lumis::Gamma(-1, 1), "Gamma concentration[0] = -1 must be positive");
    expectRejected(lumis::Gamma(1, 0), "Gamma rate[0] = 0 must be positive");
    expectRejected(lumis::LogNormal(0, 0), "LogNormal scale[0] = 0 must be positive");
    expectRejected(lumis::Binomial(2.5, 0.5), "Binomial total_count[0] = 2.5 must be a non-negative integer");
    expectRejected(lumis::Binomial(-1, 0.5), "Binomial total_count[0] = -1 must be a non-negative integer");
    expectRejected(lumis::Binomial(3, 1.01), "Binomial probs[0] = 1.01 must be in [0, 1]");
    expectRejected(lumis::Weibull(0, 1), "Weibull scale[0] = 0 must be positive");
    expectRejected(lumis::Weibull(1, -1), "Weibull concentration[0] = -1 must be positive");
    expectRejected(lumis::Poisson(Tensor()), "Poisson rate is empty");
    expectRejected(lumis::Gamma(Tensor({1, 2}, {2}), Tensor({1, 2, 3}, {3})),
                   "Gamma parameter shapes concentration [2], rate [3] do not broadcast");

    if (failures == 0) std::printf("distributions_test: all checks passed\n");
    return failures == 0 ? 0 : 1;
}
