// GUM with mu drawn by Marsaglia's polar method: a rejection loop of uniform pairs, so the trace length is random.
#include "lumis/lumis.hpp"

#include <cmath>

namespace {

lumis::Tensor forward() {
    double x = 0, s = 0;
    do {
        // Each iteration reuses these two call sites; the engine numbers the repeats.
        x = lumis::sample(lumis::Uniform(-1.0, 1.0));
        const double y = lumis::sample(lumis::Uniform(-1.0, 1.0));
        s = x * x + y * y;
    } while (s >= 1.0 || s == 0.0);
    const double mu = 1.0 + std::sqrt(5.0) * x * std::sqrt(-2.0 * std::log(s) / s);
    lumis::tag(mu, "mu");
    const lumis::Normal likelihood(mu, std::sqrt(2.0));
    lumis::observe(likelihood, "obs0");
    lumis::observe(likelihood, "obs1");
    return mu;
}

}  // namespace

int main(int argc, char** argv) {
    return lumis::runMain(argc, argv, "Gaussian with unknown mean (Marsaglia)", forward);
}
