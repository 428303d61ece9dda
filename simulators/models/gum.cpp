// Gaussian with unknown mean (pyprob's GUM): mu ~ N(1, sqrt 5); obs0, obs1 ~ N(mu, sqrt 2), values from the engine.
#include "lumis/lumis.hpp"

#include <cmath>

namespace {

lumis::Tensor forward() {
    const double mu = lumis::sample(lumis::Normal(1.0, std::sqrt(5.0)), "mu");
    const lumis::Normal likelihood(mu, std::sqrt(2.0));
    lumis::observe(likelihood, "obs0");
    lumis::observe(likelihood, "obs1");
    return mu;
}

}  // namespace

int main(int argc, char** argv) { return lumis::runMain(argc, argv, "Gaussian with unknown mean", forward); }
