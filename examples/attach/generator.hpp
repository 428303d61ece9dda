// A toy event generator in the style of a large existing code: physics routines that call a shared Rng.
#ifndef TOYGEN_GENERATOR_HPP
#define TOYGEN_GENERATOR_HPP

#include "rng.hpp"

#include <vector>

struct Jet {
    int flavour;    // 0 light, 1 charm, 2 bottom
    double energy;  // GeV, after hadronisation smearing
};

struct Event {
    int process;  // 0 Drell-Yan-like, 1 top-like, 2 Higgs-like
    std::vector<Jet> jets;
    bool hasPhoton = false;
    /// The energy the calorimeter sees: all jets plus the photon.
    double visibleEnergy() const;
};

class Generator {
public:
    explicit Generator(Rng& rng) : rng_(rng) {}
    Event generate();

    /// Process weights (relative), extra-jet multiplicity per process, flavour weights and base energies.
    static const std::vector<double> processWeights, flavourWeights;
    static const double extraJets[3], flavourEnergy[3], smearing, photonChance, photonEnergy;

private:
    Jet hadronise();
    Rng& rng_;
};

#endif
