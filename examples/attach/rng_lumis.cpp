#include "rng.hpp"

#include "lumis/lumis.hpp"

Rng::Rng(std::uint64_t seed) : engine_(seed) {}

double Rng::flat() {
    return lumis::sample(lumis::Uniform(0, 1), "", true, lumis::CallStack{});
}

double Rng::gauss(double mean, double sigma) {
    return lumis::sample(lumis::Normal(mean, sigma), "", true, lumis::CallStack{});
}

int Rng::poisson(double mean) {
    return static_cast<int>(lumis::sample(lumis::Poisson(mean), "", true, lumis::CallStack{}));
}

int Rng::pick(const std::vector<double>& weights) {
    return static_cast<int>(lumis::sample(lumis::Categorical(lumis::Tensor::vector(weights)), "", true, lumis::CallStack{}));
}
