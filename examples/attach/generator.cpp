#include "generator.hpp"

const std::vector<double> Generator::processWeights = {2, 1, 1};
const std::vector<double> Generator::flavourWeights = {6, 3, 1};
const double Generator::extraJets[3] = {0.5, 1.5, 3.0};
const double Generator::flavourEnergy[3] = {10, 25, 45};
const double Generator::smearing = 3;
const double Generator::photonChance = 0.3;
const double Generator::photonEnergy = 8;

double Event::visibleEnergy() const {
    double total = hasPhoton ? Generator::photonEnergy : 0;
    for (const Jet& jet : jets) total += jet.energy;
    return total;
}

Jet Generator::hadronise() {
    Jet jet;
    jet.flavour = rng_.pick(flavourWeights);
    jet.energy = rng_.gauss(flavourEnergy[jet.flavour], smearing);
    return jet;
}

Event Generator::generate() {
    Event event;
    event.process = rng_.pick(processWeights);
    const int count = 1 + rng_.poisson(extraJets[event.process]);
    for (int i = 0; i < count; ++i) event.jets.push_back(hadronise());
    event.hasPhoton = rng_.flat() < photonChance;
    return event;
}
