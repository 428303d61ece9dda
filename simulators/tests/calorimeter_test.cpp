// Physics checks of the calorimeter deposit function (calorimeter_physics.cpp): the incomplete gamma function,
// energy conservation up to the computed leakage, shower centroids along the particle direction, invisible and
// backward particles, determinism, and finite output for extreme inputs.
// Run with `ctest --test-dir simulators/build` or simulators/build/bin/calorimeter_test.
#include "calorimeter_physics.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <vector>

namespace {

int failures = 0;

#define EXPECT(condition)                                                                        \
    do {                                                                                         \
        if (!(condition)) {                                                                      \
            std::fprintf(stderr, "calorimeter_test:%d: EXPECT(%s) failed\n", __LINE__, #condition); \
            ++failures;                                                                          \
        }                                                                                        \
    } while (0)

#define EXPECT_NEAR(a, b, tolerance)                                                                        \
    do {                                                                                                    \
        const double x_ = (a), y_ = (b);                                                                    \
        if (!(std::fabs(x_ - y_) <= (tolerance))) {                                                         \
            std::fprintf(stderr, "calorimeter_test:%d: %s = %.17g, expected %.17g within %g\n", __LINE__, #a, x_, \
                         y_, static_cast<double>(tolerance));                                               \
            ++failures;                                                                                     \
        }                                                                                                   \
    } while (0)

using namespace calo;
namespace c = calo::constants;

double sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

Particle make(Kind kind, double energy, double slopeX = 0, double slopeY = 0, double start = 1) {
    Particle p;
    p.kind = kind;
    p.energy = energy;
    p.direction = {slopeX, slopeY, 1};
    p.showerStart = start;
    return p;
}

void incompleteGamma() {
    // Closed forms: P(1, x) = 1 - e^-x, P(2, x) = 1 - (1 + x) e^-x, P(1/2, x) = erf(sqrt x); both branches
    // (series below a + 1, continued fraction above).
    for (double x : {1e-8, 0.1, 0.5, 1.0, 1.9, 2.5, 5.0, 20.0, 80.0}) {
        EXPECT_NEAR(regularizedGammaP(1, x), 1 - std::exp(-x), 1e-14);
        EXPECT_NEAR(regularizedGammaP(2, x), 1 - (1 + x) * std::exp(-x), 1e-14);
        EXPECT_NEAR(regularizedGammaP(0.5, x), std::erf(std::sqrt(x)), 1e-14);
    }
    EXPECT(regularizedGammaP(3, 0) == 0 && regularizedGammaP(3, -1) == 0);
    EXPECT(regularizedGammaP(3, std::numeric_limits<double>::infinity()) == 1);
    // Monotone in x for a typical shower shape.
    double previous = 0;
    for (double x = 0; x < 60; x += 0.25) {
        const double p = regularizedGammaP(4.7, x);
        EXPECT(p >= previous && p <= 1);
        previous = p;
    }
}

void electromagneticEnergyConservation() {
    // A photon along the axis: its shower is a few cm wide, 50 cm from the sides, so the transverse loss is below
    // 1e-12 and the grid must hold E times the longitudinal containment P(a, b L / X0) of the 40 X0 depth.
    const Geometry g;
    Workspace w;
    for (double energy : {0.05, 1.0, 20.0, 200.0}) {
        for (Kind kind : {Kind::photon, Kind::electron}) {
            std::vector<double> grid(g.cellCount(), 0.0);
            const double added = deposit(make(kind, energy), g, grid, w);
            const double contained = energy * electromagneticContainment(energy, kind == Kind::photon, c::depth);
            EXPECT_NEAR(sum(grid), added, 1e-12 * energy);
            EXPECT_NEAR(added, contained, 1e-9 * energy);
            EXPECT(contained >= 0.99 * energy);  // 40 X0 contain even a 200 GeV shower
        }
    }
    // A coarse grid reads out the same detector: the same total energy.
    const Geometry coarse{6, 10, 10};
    std::vector<double> fine(g.cellCount(), 0.0), small(coarse.cellCount(), 0.0);
    deposit(make(Kind::photon, 20), g, fine, w);
    deposit(make(Kind::photon, 20), coarse, small, w);
    EXPECT_NEAR(sum(small), sum(fine), 1e-9 * 20);
}

void hadronicEnergyConservation() {
    // A 20 GeV pion interacting after 1 lambda: ionisation over 1 lambda, then a hadronic shower whose
    // longitudinal containment is P(a, (L - lambda) / lambda) with a = 1 + 0.2 ln 20 - 0.3 (b = 1 per lambda).
    // Its transverse sigma stays below 11 cm, 4.8 sigma inside the sides: transverse loss below 1e-5.
    const Geometry g;
    Workspace w;
    const double energy = 20;
    std::vector<double> grid(g.cellCount(), 0.0);
    const double added = deposit(make(Kind::chargedPion, energy, 0, 0, 1.0), g, grid, w);
    const double track = c::mipLoss * c::interactionLength;
    const double shape = 1 + 0.2 * std::log(energy) - 0.3;
    const double expected =
        track + (energy - track) * regularizedGammaP(shape, (c::depth - c::interactionLength) / c::interactionLength);
    EXPECT_NEAR(sum(grid), added, 1e-12 * energy);
    EXPECT_NEAR(added, expected, 1e-5 * energy);
    EXPECT(added < 0.99 * energy && added > 0.85 * energy);  // some leaks out of the back of 4.2 lambda
    // A pion that never interacts inside (start beyond the back) only ionises: dE/dx times the depth.
    std::fill(grid.begin(), grid.end(), 0.0);
    EXPECT_NEAR(deposit(make(Kind::chargedPion, energy, 0, 0, 10.0), g, grid, w), c::mipLoss * c::depth, 1e-12);
}

void muons() {
    const Geometry g;
    Workspace w;
    std::vector<double> grid(g.cellCount(), 0.0);
    // A through-going muon: dE/dx times its path (the depth times the secant of its angle).
    const double slope = 0.1, secant = std::sqrt(1 + slope * slope);
    EXPECT_NEAR(deposit(make(Kind::muon, 10, slope, 0), g, grid, w), c::mipLoss * c::depth * secant, 1e-12);
    EXPECT_NEAR(sum(grid), c::mipLoss * c::depth * secant, 1e-12);
    // A muon that stops inside deposits exactly its energy.
    std::fill(grid.begin(), grid.end(), 0.0);
    EXPECT_NEAR(deposit(make(Kind::muon, 0.3), g, grid, w), 0.3, 1e-12);
    EXPECT_NEAR(sum(grid), 0.3, 1e-12);
}

void invisible() {
    const Geometry g;
    Workspace w;
    std::vector<double> grid(g.cellCount(), 0.0);
    EXPECT(deposit(make(Kind::neutrino, 30), g, grid, w) == 0);
    Particle backward = make(Kind::photon, 30);
    backward.direction = {0.3, 0, -1};
    EXPECT(deposit(backward, g, grid, w) == 0);
    Particle sideways = make(Kind::chargedPion, 30);
    sideways.direction = {1, 0, 0};
    EXPECT(deposit(sideways, g, grid, w) == 0);
    // A photon aimed far outside the face deposits (almost) nothing.
    EXPECT(deposit(make(Kind::photon, 30, 2.0, 0), g, grid, w) < 1e-12);
    EXPECT(sum(grid) < 1e-12);
}

/// Energy-weighted x and y centroid of layer k, in cm.
void centroid(const std::vector<double>& grid, const Geometry& g, int k, double& x, double& y, double& energy) {
    x = y = energy = 0;
    for (int i = 0; i < g.rows; ++i) {
        for (int j = 0; j < g.columns; ++j) {
            const double e = grid[(static_cast<std::size_t>(k) * g.rows + i) * g.columns + j];
            energy += e;
            x += e * (-c::faceWidth / 2 + (j + 0.5) * g.cellWidth());
            y += e * (-c::faceWidth / 2 + (i + 0.5) * g.cellHeight());
        }
    }
    if (energy > 0) {
        x /= energy;
        y /= energy;
    }
}

void centroidFollowsDirection() {
    // In every layer holding at least 1% of the energy the centroid lies on the line z * slope from the vertex.
    // A hadronic shower (sigma >= 4 cm, several 3 cm cells wide) reproduces it to 0.01 cm; a narrow EM shower
    // is resolved only to the cell: within half a cell. The slopes keep the widest (11.5 cm) hadronic layer
    // 4 sigma inside the sides, where truncation shifts the centroid by less than 0.002 cm.
    const Geometry g;
    Workspace w;
    const double slopeX = 0.04, slopeY = -0.03;
    for (Kind kind : {Kind::chargedPion, Kind::photon}) {
        std::vector<double> grid(g.cellCount(), 0.0);
        const double total = deposit(make(kind, 30, slopeX, slopeY, 0.5), g, grid, w);
        const double tolerance = kind == Kind::photon ? 0.5 * g.cellWidth() : 0.01;
        int checked = 0;
        for (int k = 0; k < g.layers; ++k) {
            double x, y, e;
            centroid(grid, g, k, x, y, e);
            if (e < 0.01 * total) continue;
            const double z = c::faceDistance + (k + 0.5) * g.layerThickness();
            EXPECT_NEAR(x, z * slopeX, tolerance);
            EXPECT_NEAR(y, z * slopeY, tolerance);
            ++checked;
        }
        EXPECT(checked >= 3);
    }
    // Longitudinally, an EM shower (mean about layer 4) lies well before a hadronic one (about layer 10).
    std::vector<double> em(g.cellCount(), 0.0), had(g.cellCount(), 0.0);
    deposit(make(Kind::photon, 30), g, em, w);
    deposit(make(Kind::chargedPion, 30, 0, 0, 1.0), g, had, w);  // first interaction at its mean depth
    auto meanLayer = [&](const std::vector<double>& grid) {
        double weighted = 0, total = 0;
        for (int k = 0; k < g.layers; ++k) {
            double x, y, e;
            centroid(grid, g, k, x, y, e);
            weighted += k * e;
            total += e;
        }
        return weighted / total;
    };
    EXPECT(meanLayer(em) + 2 < meanLayer(had));
}

void deterministic() {
    const Geometry g{6, 10, 10};
    Workspace w;
    std::vector<double> first(g.cellCount(), 0.0), second(g.cellCount(), 0.0);
    Workspace other;
    for (Kind kind : {Kind::photon, Kind::electron, Kind::muon, Kind::chargedPion, Kind::neutralKaon}) {
        deposit(make(kind, 7.5, 0.03, 0.02, 0.7), g, first, w);
        deposit(make(kind, 7.5, 0.03, 0.02, 0.7), g, second, other);
    }
    EXPECT(first == second);
}

void extremeInputs() {
    const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    const double energies[] = {0, -1, 1e-300, 1e-8, 1e6, 1e300, inf, nan};
    const std::array<double, 3> directions[] = {{0, 0, 1},   {1e-7, 0, 1}, {1e3, -1e3, 1}, {0, 0, 0},
                                                {0, 0, -1},  {nan, 0, 1},  {inf, 0, 1},   {1e-300, 1e-300, 1e-300}};
    const double starts[] = {0, -3, 1e-300, 50, 1e300, inf, nan};
    for (const Geometry& g : {Geometry{1, 1, 1}, Geometry{6, 10, 10}}) {
        Workspace w;
        for (Kind kind : {Kind::photon, Kind::electron, Kind::muon, Kind::chargedPion, Kind::neutrino}) {
            for (double energy : energies) {
                for (const auto& direction : directions) {
                    for (double start : starts) {
                        std::vector<double> grid(g.cellCount(), 0.0);
                        Particle p = make(kind, energy, 0, 0, start);
                        p.direction = direction;
                        const double added = deposit(p, g, grid, w);
                        bool finite = std::isfinite(added) && added >= 0;
                        for (double x : grid) finite = finite && std::isfinite(x) && x >= 0;
                        EXPECT(finite);
                        if (std::isfinite(energy) && energy > 0) EXPECT(added <= energy * (1 + 1e-12));
                    }
                }
            }
        }
    }
}

void channelTable() {
    const auto& table = channels();
    EXPECT(table.size() == 29);
    double total = 0;
    for (const auto& channel : table) {
        total += channel.branchingPercent;
        int neutrinos = 0, charge = 0;
        for (Kind kind : channel.products) {
            neutrinos += kind == Kind::neutrino;
            charge += isCharged(kind);
        }
        EXPECT(neutrinos >= 1);      // every tau decay carries away a tau neutrino
        EXPECT(charge % 2 == 1);     // one or three or five prongs (charge -1)
        EXPECT(channel.branchingPercent > 0);
    }
    EXPECT(total > 98 && total < 100.5);
}

}  // namespace

int main() {
    incompleteGamma();
    electromagneticEnergyConservation();
    hadronicEnergyConservation();
    muons();
    invisible();
    centroidFollowsDirection();
    deterministic();
    extremeInputs();
    channelTable();
    if (failures == 0) std::printf("calorimeter_test: all checks passed\n");
    return failures == 0 ? 0 : 1;
}
