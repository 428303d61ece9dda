#include "rng.hpp"

Rng::Rng(std::uint64_t seed) : engine_(seed) {}

double Rng::flat() {
    return std::uniform_real_distribution<double>(0, 1)(engine_);
}

double Rng::gauss(double mean, double sigma) {
    return std::normal_distribution<double>(mean, sigma)(engine_);
}

int Rng::poisson(double mean) {
    return std::poisson_distribution<int>(mean)(engine_);
}

int Rng::pick(const std::vector<double>& weights) {
    return std::discrete_distribution<int>(weights.begin(), weights.end())(engine_);
}
