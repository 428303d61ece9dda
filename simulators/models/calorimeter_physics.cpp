#include "calorimeter_physics.hpp"

#include <algorithm>
#include <cmath>

namespace calo {

namespace {

using K = Kind;

// Longitudinal profile dE/dt = E b (b t)^(a-1) e^(-b t) / Gamma(a) (Longo's parametrisation, PDG "Passage of
// particles through matter" section 34.5). EM: t in X0, b = 0.5, t_max = ln(E/E_c) - 0.5 (electron) or + 0.5
// (photon). Hadronic: t in lambda_I from the first interaction, b = 1 per lambda_I, t_max = 0.2 ln(E/GeV) - 0.3,
// so that with the mean first-interaction depth of 1 lambda_I the maximum lies at the PDG's 0.2 ln(E/GeV) + 0.7
// lambda_I from the face.
constexpr double emSlope = 0.5;
constexpr double hadronSlope = 1.0;

double emShape(double energy, bool photon) {
    const double tMax = std::max(0.0, std::log(energy / constants::criticalEnergy) + (photon ? 0.5 : -0.5));
    return 1 + emSlope * tMax;
}

double hadronShape(double energy) { return 1 + hadronSlope * std::max(0.0, 0.2 * std::log(energy) - 0.3); }

// Transverse spread: an EM shower's core widens with depth from 0.4 R_M (90% of the energy lies within about
// one R_M); a hadronic shower's from lambda_I / 4 (95% within about one lambda_I).
double emWidth(double depthX0) { return 0.4 * constants::moliereRadius * (1 + depthX0 / 10); }
double hadronWidth(double depthLambda) { return 0.25 * constants::interactionLength * (1 + 0.5 * depthLambda); }

/// Fills `weights` (size n) with the Gaussian(center, sigma) probability of each of the n cells between
/// `edges` (size n + 1) and returns their sum.
double cellWeights(const std::vector<double>& edges, double center, double sigma, std::vector<double>& weights) {
    const double scale = 1 / (sigma * std::sqrt(2.0));
    double previous = std::erf((edges[0] - center) * scale), sum = 0;
    for (std::size_t j = 0; j + 1 < edges.size(); ++j) {
        const double next = std::erf((edges[j + 1] - center) * scale);
        weights[j] = 0.5 * (next - previous);
        sum += weights[j];
        previous = next;
    }
    return sum;
}

/// Adds `energy` spread as Gaussian(center, sigma) in x and y over layer `k`; returns the energy added.
double addToLayer(int k, double energy, double centerX, double centerY, double sigma, const Geometry& g,
                  std::vector<double>& grid, Workspace& w) {
    if (!(energy > 0)) return 0;
    const std::size_t rows = static_cast<std::size_t>(g.rows), columns = static_cast<std::size_t>(g.columns);
    const double half = constants::faceWidth / 2;
    w.edges.resize(columns + 1);
    for (std::size_t j = 0; j <= columns; ++j) w.edges[j] = -half + g.cellWidth() * static_cast<double>(j);
    w.columnWeights.resize(columns);
    const double sumX = cellWeights(w.edges, centerX, sigma, w.columnWeights);
    if (!(sumX > 0)) return 0;
    w.edges.resize(rows + 1);
    for (std::size_t i = 0; i <= rows; ++i) w.edges[i] = -half + g.cellHeight() * static_cast<double>(i);
    w.rowWeights.resize(rows);
    const double sumY = cellWeights(w.edges, centerY, sigma, w.rowWeights);
    if (!(sumY > 0)) return 0;
    double* layer = grid.data() + static_cast<std::size_t>(k) * rows * columns;
    for (std::size_t i = 0; i < rows; ++i) {
        const double rowEnergy = energy * w.rowWeights[i];
        if (rowEnergy == 0) continue;
        double* row = layer + i * columns;
        for (std::size_t j = 0; j < columns; ++j) row[j] += rowEnergy * w.columnWeights[j];
    }
    return energy * sumX * sumY;
}

/// Length of the overlap of [a0, a1] and [b0, b1].
double overlap(double a0, double a1, double b0, double b1) {
    return std::max(0.0, std::min(a1, b1) - std::max(a0, b0));
}

}  // namespace

const char* kindName(Kind kind) {
    switch (kind) {
    case K::electron: return "e-";
    case K::muon: return "mu-";
    case K::photon: return "gamma";
    case K::chargedPion: return "pi";
    case K::chargedKaon: return "K";
    case K::neutralKaon: return "K0";
    case K::neutralPion: return "pi0";
    case K::neutrino: return "nu";
    }
    return "?";
}

bool isElectromagnetic(Kind kind) { return kind == K::electron || kind == K::photon; }
bool isHadron(Kind kind) { return kind == K::chargedPion || kind == K::chargedKaon || kind == K::neutralKaon; }
bool isCharged(Kind kind) {
    return kind == K::electron || kind == K::muon || kind == K::chargedPion || kind == K::chargedKaon;
}

const std::vector<Channel>& channels() {
    // tau- branching fractions in percent (PDG 2022, rounded); the radiative leptonic modes (E_gamma > 10 MeV)
    // are split off their inclusive modes. Unlisted modes (eta, omega K, ...; about 1%) are left out and the
    // Categorical renormalises. K0 stands for K0/K0bar, treated as a neutral hadron (K_L-like).
    static const std::vector<Channel> table = {
        {"e- nu nu", 15.99, {K::electron, K::neutrino, K::neutrino}},
        {"e- nu nu gamma", 1.83, {K::electron, K::neutrino, K::neutrino, K::photon}},
        {"mu- nu nu", 17.02, {K::muon, K::neutrino, K::neutrino}},
        {"mu- nu nu gamma", 0.37, {K::muon, K::neutrino, K::neutrino, K::photon}},
        {"pi- nu", 10.82, {K::chargedPion, K::neutrino}},
        {"pi- pi0 nu", 25.49, {K::chargedPion, K::neutralPion, K::neutrino}},
        {"pi- 2pi0 nu", 9.26, {K::chargedPion, K::neutralPion, K::neutralPion, K::neutrino}},
        {"pi- 3pi0 nu", 1.04, {K::chargedPion, K::neutralPion, K::neutralPion, K::neutralPion, K::neutrino}},
        {"pi- 4pi0 nu", 0.11,
         {K::chargedPion, K::neutralPion, K::neutralPion, K::neutralPion, K::neutralPion, K::neutrino}},
        {"K- nu", 0.696, {K::chargedKaon, K::neutrino}},
        {"K- pi0 nu", 0.433, {K::chargedKaon, K::neutralPion, K::neutrino}},
        {"K- 2pi0 nu", 0.065, {K::chargedKaon, K::neutralPion, K::neutralPion, K::neutrino}},
        {"K- 3pi0 nu", 0.048, {K::chargedKaon, K::neutralPion, K::neutralPion, K::neutralPion, K::neutrino}},
        {"pi- K0 nu", 0.838, {K::chargedPion, K::neutralKaon, K::neutrino}},
        {"pi- K0 pi0 nu", 0.382, {K::chargedPion, K::neutralKaon, K::neutralPion, K::neutrino}},
        {"pi- K0 2pi0 nu", 0.026, {K::chargedPion, K::neutralKaon, K::neutralPion, K::neutralPion, K::neutrino}},
        {"K- K0 nu", 0.148, {K::chargedKaon, K::neutralKaon, K::neutrino}},
        {"K- K0 pi0 nu", 0.150, {K::chargedKaon, K::neutralKaon, K::neutralPion, K::neutrino}},
        {"pi- K0 K0 nu", 0.155, {K::chargedPion, K::neutralKaon, K::neutralKaon, K::neutrino}},
        {"pi- pi- pi+ nu", 9.02, {K::chargedPion, K::chargedPion, K::chargedPion, K::neutrino}},
        {"pi- pi- pi+ pi0 nu", 4.49, {K::chargedPion, K::chargedPion, K::chargedPion, K::neutralPion, K::neutrino}},
        {"pi- pi- pi+ 2pi0 nu", 0.50,
         {K::chargedPion, K::chargedPion, K::chargedPion, K::neutralPion, K::neutralPion, K::neutrino}},
        {"pi- pi- pi+ 3pi0 nu", 0.021,
         {K::chargedPion, K::chargedPion, K::chargedPion, K::neutralPion, K::neutralPion, K::neutralPion,
          K::neutrino}},
        {"K- pi- pi+ nu", 0.294, {K::chargedKaon, K::chargedPion, K::chargedPion, K::neutrino}},
        {"K- pi- pi+ pi0 nu", 0.079, {K::chargedKaon, K::chargedPion, K::chargedPion, K::neutralPion, K::neutrino}},
        {"K- K+ pi- nu", 0.144, {K::chargedKaon, K::chargedKaon, K::chargedPion, K::neutrino}},
        {"K- K+ pi- pi0 nu", 0.0061, {K::chargedKaon, K::chargedKaon, K::chargedPion, K::neutralPion, K::neutrino}},
        {"3pi- 2pi+ nu", 0.0827,
         {K::chargedPion, K::chargedPion, K::chargedPion, K::chargedPion, K::chargedPion, K::neutrino}},
        {"3pi- 2pi+ pi0 nu", 0.0038,
         {K::chargedPion, K::chargedPion, K::chargedPion, K::chargedPion, K::chargedPion, K::neutralPion,
          K::neutrino}},
    };
    return table;
}

double regularizedGammaP(double a, double x) {
    if (!(x > 0)) return 0;
    if (std::isinf(x)) return 1;
    const double logPrefactor = a * std::log(x) - x - std::lgamma(a);
    if (x < a + 1) {
        // Series: P = x^a e^-x / Gamma(a) * sum_n x^n / (a (a+1) ... (a+n)).
        double term = 1 / a, sum = term;
        for (int n = 1; n < 10000; ++n) {
            term *= x / (a + n);
            sum += term;
            if (term < sum * 1e-17) break;
        }
        return std::min(1.0, sum * std::exp(logPrefactor));
    }
    // Continued fraction for Q = 1 - P (modified Lentz).
    constexpr double tiny = 1e-300;
    double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
    for (int i = 1; i < 10000; ++i) {
        const double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (std::fabs(d) < tiny) d = tiny;
        c = b + an / c;
        if (std::fabs(c) < tiny) c = tiny;
        d = 1 / d;
        const double delta = d * c;
        h *= delta;
        if (std::fabs(delta - 1) < 1e-16) break;
    }
    return std::max(0.0, 1 - std::exp(logPrefactor) * h);
}

double electromagneticContainment(double energy, bool photon, double pathLength) {
    return regularizedGammaP(emShape(energy, photon), emSlope * pathLength / constants::radiationLength);
}

double deposit(const Particle& particle, const Geometry& g, std::vector<double>& grid, Workspace& w) {
    const double energy = particle.energy;
    const auto& u = particle.direction;
    if (particle.kind == K::neutrino || !(energy > 0) || !std::isfinite(energy)) return 0;
    const double norm = std::sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
    if (!(norm > 0) || !std::isfinite(norm)) return 0;
    const double uz = u[2] / norm;
    if (!(uz > 1e-6)) return 0;  // Moving away from (or parallel to) the calorimeter.
    const double slopeX = u[0] / norm / uz, slopeY = u[1] / norm / uz, secant = 1 / uz;
    const double thickness = g.layerThickness();
    const bool em = isElectromagnetic(particle.kind), hadron = isHadron(particle.kind);
    // Ionisation track: muons over their range, hadrons until their first interaction.
    const double range = energy / constants::mipLoss;
    const double trackEnd =
        hadron ? std::min(range, std::max(0.0, particle.showerStart) * constants::interactionLength) : range;
    const bool tracks = particle.kind == K::muon || hadron;
    const double showerEnergy = em ? energy : hadron ? std::max(0.0, energy - constants::mipLoss * trackEnd) : 0;
    const double shape = em ? emShape(energy, particle.kind == K::photon) : hadron ? hadronShape(energy) : 1;
    const double slope = em ? emSlope / constants::radiationLength : hadronSlope / constants::interactionLength;
    const double showerOrigin = em ? 0 : trackEnd;  // along the track, cm from the face
    double added = 0, previousCumulative = 0;
    for (int k = 0; k < g.layers; ++k) {
        // Path along the particle inside layer k, measured from where it enters the calorimeter.
        const double pathLow = k * thickness * secant, pathHigh = (k + 1) * thickness * secant;
        const double z = constants::faceDistance + (k + 0.5) * thickness;
        const double centerX = z * slopeX, centerY = z * slopeY;
        if (tracks) {
            const double trackEnergy = constants::mipLoss * overlap(pathLow, pathHigh, 0, trackEnd);
            added += addToLayer(k, trackEnergy, centerX, centerY, constants::mipWidth, g, grid, w);
        }
        if (showerEnergy > 0) {
            const double cumulative = regularizedGammaP(shape, slope * std::max(0.0, pathHigh - showerOrigin));
            const double layerEnergy = showerEnergy * (cumulative - previousCumulative);
            previousCumulative = cumulative;
            const double middle = std::max(0.0, 0.5 * (pathLow + pathHigh) - showerOrigin);
            const double sigma =
                em ? emWidth(middle / constants::radiationLength) : hadronWidth(middle / constants::interactionLength);
            added += addToLayer(k, layerEnergy, centerX, centerY, sigma, g, grid, w);
        }
    }
    return added;
}

}  // namespace calo
