// The generator's random-number service: every random decision in the code goes through one Rng.
#ifndef TOYGEN_RNG_HPP
#define TOYGEN_RNG_HPP

#include <cstdint>
#include <random>
#include <vector>

class Rng {
public:
    explicit Rng(std::uint64_t seed);

    /// Uniform on [0, 1).
    double flat();
    /// Normal with the given mean and width.
    double gauss(double mean, double sigma);
    /// Poisson with the given mean.
    int poisson(double mean);
    /// An index drawn with probability proportional to `weights` (they need not sum to 1).
    int pick(const std::vector<double>& weights);

private:
    std::mt19937_64 engine_;
};

#endif
