// Detector physics of the calorimeter simulator: the tau decay-channel table, the calorimeter geometry and the
// deterministic energy deposit of one particle (longitudinal Gamma profile x transverse Gaussian, integrated
// over each cell). No randomness here: every random choice is made by the model (calorimeter.cpp).
// See docs/calorimeter.md for the physics and the numbers.
#ifndef LUMIS_CALORIMETER_PHYSICS_HPP
#define LUMIS_CALORIMETER_PHYSICS_HPP

#include <array>
#include <cstddef>
#include <vector>

namespace calo {

/// Final-state particle kinds and how they deposit energy.
enum class Kind { electron, muon, photon, chargedPion, chargedKaon, neutralKaon, neutralPion, neutrino };

/// Printable name ("e-", "mu-", "gamma", "pi-", "K-", "K0", "pi0", "nu").
const char* kindName(Kind kind);

/// Showers electromagnetically (photon, electron).
bool isElectromagnetic(Kind kind);
/// Showers hadronically (charged pion, charged kaon, neutral kaon).
bool isHadron(Kind kind);
/// Leaves a track (electron, muon, charged pion, charged kaon).
bool isCharged(Kind kind);

/// One tau decay channel: a label, its branching fraction (in percent) and its final-state particles.
struct Channel {
    const char* label;
    double branchingPercent;
    std::vector<Kind> products;
};

/// The channel table (order = Categorical index of `channel`).
const std::vector<Channel>& channels();

/// Physical constants and material (iron-like sampling calorimeter), in GeV and cm.
namespace constants {
inline constexpr double tauMass = 1.77686;         // GeV
inline constexpr double pi0Mass = 0.1349768;       // GeV
inline constexpr double radiationLength = 1.757;   // X0, cm
inline constexpr double interactionLength = 16.77; // lambda_I, cm
inline constexpr double moliereRadius = 1.719;     // R_M, cm
inline constexpr double criticalEnergy = 0.02168;  // E_c, GeV
inline constexpr double mipLoss = 0.0114;          // dE/dx of a minimum-ionising particle, GeV/cm
inline constexpr double faceDistance = 150.0;      // vertex to calorimeter front face, cm
inline constexpr double faceWidth = 105.0;         // transverse extent in x and y, cm
inline constexpr double depth = 40 * radiationLength;  // longitudinal extent, cm (about 4.2 lambda_I)
inline constexpr double mipWidth = 0.3;            // transverse sigma of a track's ionisation, cm
}  // namespace constants

/// The readout grid: `layers` x `rows` x `columns` cells (tensor axes [z, y, x]) over a fixed detector volume,
/// so a coarse grid is a coarser readout of the same calorimeter.
struct Geometry {
    int layers = 20, rows = 35, columns = 35;

    std::size_t cellCount() const {
        return static_cast<std::size_t>(layers) * static_cast<std::size_t>(rows) * static_cast<std::size_t>(columns);
    }
    double layerThickness() const { return constants::depth / layers; }
    double cellHeight() const { return constants::faceWidth / rows; }
    double cellWidth() const { return constants::faceWidth / columns; }
};

/// A particle reaching the calorimeter: kind, energy to deposit (GeV), unit direction from the vertex (at the
/// origin; +z points into the calorimeter), and for hadrons the depth of the first nuclear interaction.
struct Particle {
    Kind kind = Kind::photon;
    double energy = 0;
    std::array<double, 3> direction{0, 0, 1};
    double showerStart = 0;  // in interaction lengths along the track, hadrons only
};

/// Reusable per-layer buffers for `deposit` (no allocation once grown).
struct Workspace {
    std::vector<double> layer, columnWeights, rowWeights, edges;
};

/// Regularised lower incomplete gamma function P(a, x) for a > 0 (0 for x <= 0).
double regularizedGammaP(double a, double x);

/// Adds the particle's mean energy deposit to `grid` (row-major [layers][rows][columns], size cellCount()) and
/// returns the energy added. The profile is integrated exactly over each layer (incomplete gamma) and each cell
/// (error function), so the sum equals the energy times the contained fraction; energy leaving through the
/// back or the sides is lost. Neutrinos and particles not moving into the calorimeter deposit nothing.
/// Non-finite or non-positive energies deposit nothing; the result is always finite.
double deposit(const Particle& particle, const Geometry& geometry, std::vector<double>& grid, Workspace& work);

/// The fraction of an electromagnetic shower's energy (photon when `photon`, else electron) contained within
/// the first `pathLength` cm along its axis: P(a, b t) of the longitudinal profile.
double electromagneticContainment(double energy, bool photon, double pathLength);

}  // namespace calo

#endif  // LUMIS_CALORIMETER_PHYSICS_HPP
