// One draw from each of the 11 PPX distributions (pyprob's test_distributions_remote parameters).
#include "lumis/lumis.hpp"

namespace {

lumis::Tensor forward() {
    using namespace lumis;
    sample(Normal(1.75, 0.5), "normal");
    sample(Uniform(1.2, 2.5), "uniform");
    sample(Categorical({0.1, 0.5, 0.4}), "categorical");
    sample(Poisson(4.0), "poisson");
    sample(Bernoulli(0.2), "bernoulli");
    sample(Beta(1.2, 2.5), "beta");
    sample(Exponential(2.2), "exponential");
    sample(Gamma(0.5, 1.2), "gamma");
    sample(LogNormal(0.5, 0.2), "log_normal");
    sample(Binomial(10.0, 0.72), "binomial");
    sample(Weibull(1.1, 0.6), "weibull");  // scale 1.1, concentration 0.6
    return 0.0;
}

}  // namespace

int main(int argc, char** argv) { return lumis::runMain(argc, argv, "Distributions", forward); }
