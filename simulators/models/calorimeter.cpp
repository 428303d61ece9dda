// A calorimeter-scale simulator after the tau-lepton decay problem of Etalumis (Baydin et al., SC19): a tau
// with momentum (px, py, pz) decays through one of 29 channels; its visible products and a Poisson number of
// soft pile-up photons shower in a 3D calorimeter; the observation `calo` is the [layers, rows, columns] energy
// image with Gaussian cell noise. Physics and latents: docs/calorimeter.md.
#include "calorimeter_physics.hpp"
#include "lumis/lumis.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <array>
#include <exception>
#include <stdexcept>
#include <random>
#include <string>
#include <vector>

namespace {

using calo::Kind;
using calo::Particle;

struct Options {
    calo::Geometry geometry;
    double noise = 0.1;  // GeV per cell
    bool fixedKinematics = false;
};

/// What one execution drew, for --simulate's report.
struct Truth {
    int channel = 0;
    double px = 0, py = 0, pz = 0, visibleEnergy = 0;
    int extra = 0;
};

// Calorimeter energy resolution sigma_E / E = a / sqrt(E / GeV) (stochastic term of a sampling calorimeter).
constexpr double emResolution = 0.1;
constexpr double hadronResolution = 0.5;
constexpr double pileUpRate = 3;  // mean number of soft pile-up photons
constexpr double pi = 3.14159265358979323846;

using Vector = std::array<double, 3>;

Vector normalized(const Vector& v) {
    const double n = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    return {v[0] / n, v[1] / n, v[2] / n};
}

/// Two unit vectors completing the unit vector `n` to an orthonormal basis.
void perpendicular(const Vector& n, Vector& e1, Vector& e2) {
    const Vector helper = std::fabs(n[0]) < 0.9 ? Vector{1, 0, 0} : Vector{0, 1, 0};
    e1 = normalized({helper[1] * n[2] - helper[2] * n[1], helper[2] * n[0] - helper[0] * n[2],
                     helper[0] * n[1] - helper[1] * n[0]});
    e2 = {n[1] * e1[2] - n[2] * e1[1], n[2] * e1[0] - n[0] * e1[2], n[0] * e1[1] - n[1] * e1[0]};
}

class Model {
public:
    explicit Model(const Options& options) : options_(options) {
        std::vector<double> probabilities;
        double total = 0;
        for (const auto& channel : calo::channels()) total += channel.branchingPercent;
        for (const auto& channel : calo::channels()) probabilities.push_back(channel.branchingPercent / total);
        channelProbabilities_ = lumis::Tensor::vector(probabilities);
        const auto& g = options.geometry;
        image_ = lumis::Tensor(std::vector<double>(g.cellCount(), 0.0), {g.layers, g.rows, g.columns});
    }

    /// One execution. With `forcedChannel >= 0` (only with fixed kinematics) nothing is drawn at all.
    lumis::Tensor run(int forcedChannel = -1) {
        using lumis::sample;
        const bool fixed = options_.fixedKinematics;
        std::fill(image_.data.begin(), image_.data.end(), 0.0);
        visible_ = 0;
        truth_ = Truth{};
        const double px = fixed ? 0 : sample(lumis::Uniform(-2.5, 2.5), "px");
        const double py = fixed ? 0 : sample(lumis::Uniform(-2.5, 2.5), "py");
        const double pz = fixed ? 45 : sample(lumis::Uniform(40, 50), "pz");
        const double drawn =
            forcedChannel >= 0 ? forcedChannel : sample(lumis::Categorical(channelProbabilities_), "channel");
        const auto& table = calo::channels();
        if (!(drawn >= 0 && drawn < static_cast<double>(table.size())) || drawn != std::floor(drawn)) {
            throw std::runtime_error("channel " + std::to_string(drawn) + " is not a channel index");
        }
        const int channel = static_cast<int>(drawn);
        const double momentum = std::sqrt(px * px + py * py + pz * pz);
        const double tauEnergy = std::sqrt(momentum * momentum + calo::constants::tauMass * calo::constants::tauMass);
        const Vector tauDirection{px / momentum, py / momentum, pz / momentum};
        Vector e1, e2;
        perpendicular(tauDirection, e1, e2);
        // Decay products of a tau with Lorentz factor gamma fly within about 1/gamma = m / E of its direction.
        const double spread = calo::constants::tauMass / tauEnergy;

        const auto& products = table[static_cast<std::size_t>(channel)].products;
        const int n = static_cast<int>(products.size());
        int charged = 0;
        double remaining = 1;
        for (int i = 0; i < n; ++i) {
            const std::string index = std::to_string(i);
            // Flat Dirichlet energy sharing by stick breaking: v_i ~ Beta(1, n - 1 - i).
            double fraction = remaining;
            if (i < n - 1) {
                const double v = fixed ? 1.0 / (n - i) : sample(lumis::Beta(1.0, n - 1.0 - i), "fraction" + index);
                fraction = remaining * v;
                remaining -= fraction;
            }
            const Kind kind = products[static_cast<std::size_t>(i)];
            if (kind == Kind::neutrino) continue;
            if (calo::isCharged(kind)) ++charged;
            const double energy = fraction * tauEnergy;
            const double thetaX = fixed ? 0 : sample(lumis::Normal(0.0, spread), "theta_x" + index);
            const double thetaY = fixed ? 0 : sample(lumis::Normal(0.0, spread), "theta_y" + index);
            const Vector direction = normalized({tauDirection[0] + thetaX * e1[0] + thetaY * e2[0],
                                                 tauDirection[1] + thetaX * e1[1] + thetaY * e2[1],
                                                 tauDirection[2] + thetaX * e1[2] + thetaY * e2[2]});
            if (kind == Kind::neutralPion) {
                decayNeutralPion(energy, direction, index);
            } else {
                Particle particle;
                particle.kind = kind;
                particle.direction = direction;
                if (calo::isHadron(kind)) {
                    particle.showerStart = fixed ? 1 : sample(lumis::Exponential(1.0), "start" + index, false);
                }
                particle.energy =
                    kind == Kind::muon ? energy : smeared(energy, calo::isHadron(kind), "response" + index);
                deposit(particle);
            }
        }

        const int extra = fixed ? 0 : static_cast<int>(sample(lumis::Poisson(pileUpRate), "n_extra"));
        const double half = calo::constants::faceWidth / 2;
        for (int j = 0; j < extra; ++j) {
            const std::string index = std::to_string(j);
            Particle photon;
            photon.energy = sample(lumis::Gamma(2.0, 2.0), "extra_energy" + index);
            const double x = sample(lumis::Uniform(-half, half), "extra_x" + index);
            const double y = sample(lumis::Uniform(-half, half), "extra_y" + index);
            photon.direction = normalized({x, y, calo::constants::faceDistance});
            deposit(photon);
        }

        lumis::tag(visible_, "visible_energy");
        lumis::tag(static_cast<double>(charged), "n_charged");
        lumis::Normal likelihood(std::move(image_), options_.noise);
        lumis::observe(likelihood, "calo");
        image_ = std::move(likelihood.mean);  // keep the buffer for the next execution

        truth_ = Truth{channel, px, py, pz, visible_, extra};
        lumis::Tensor oneHot(std::vector<double>(table.size(), 0.0), {static_cast<int32_t>(table.size())});
        oneHot.data[static_cast<std::size_t>(channel)] = 1;
        return oneHot;
    }

    const lumis::Tensor& image() const { return image_; }
    const lumis::Tensor& channelProbabilities() const { return channelProbabilities_; }
    const Truth& truth() const { return truth_; }

private:
    /// The calibrated energy the calorimeter measures: E times a Normal(1, a / sqrt(E)) response (uncontrolled,
    /// clipped at 0). The 0.01 GeV keeps the width finite for a vanishing energy.
    double smeared(double energy, bool hadron, const std::string& name) {
        if (options_.fixedKinematics) return energy;
        const double width = (hadron ? hadronResolution : emResolution) / std::sqrt(std::max(energy, 0.0) + 0.01);
        return energy * std::max(0.0, lumis::sample(lumis::Normal(1.0, width), name, false));
    }

    /// pi0 -> gamma gamma: u, the first photon's energy share, is uniform for a relativistic pi0 (isotropic
    /// decay); the opening angle follows from m^2 = 2 E1 E2 (1 - cos theta); the photons balance transverse
    /// momentum (E1 theta1 = E2 theta2) in the plane at azimuth phi.
    void decayNeutralPion(double energy, const Vector& direction, const std::string& index) {
        const bool fixed = options_.fixedKinematics;
        const double u = fixed ? 0.5 : lumis::sample(lumis::Uniform(0.0, 1.0), "pi0_u" + index);
        const double phi = fixed ? 0 : lumis::sample(lumis::Uniform(0.0, 2 * pi), "pi0_phi" + index);
        const double share = std::min(std::max(u, 1e-12), 1 - 1e-12);
        const double m = calo::constants::pi0Mass;
        const double cosine = 1 - m * m / (2 * share * (1 - share) * energy * energy);
        const double opening = std::acos(std::max(-1.0, std::min(1.0, cosine)));
        Vector e1, e2;
        perpendicular(direction, e1, e2);
        const Vector axis{std::cos(phi) * e1[0] + std::sin(phi) * e2[0], std::cos(phi) * e1[1] + std::sin(phi) * e2[1],
                          std::cos(phi) * e1[2] + std::sin(phi) * e2[2]};
        const double angles[2] = {opening * (1 - share), -opening * share};
        const double shares[2] = {share, 1 - share};
        for (int k = 0; k < 2; ++k) {
            Particle photon;
            const double c = std::cos(angles[k]), s = std::sin(angles[k]);
            photon.direction = {c * direction[0] + s * axis[0], c * direction[1] + s * axis[1],
                                c * direction[2] + s * axis[2]};
            photon.energy = smeared(shares[k] * energy, false, "response" + index + (k == 0 ? "a" : "b"));
            deposit(photon);
        }
    }

    void deposit(const Particle& particle) {
        visible_ += calo::deposit(particle, options_.geometry, image_.data, work_);
    }

    Options options_;
    lumis::Tensor channelProbabilities_;
    lumis::Tensor image_;
    calo::Workspace work_;
    double visible_ = 0;
    Truth truth_;
};

void printNumber(double x) { std::printf("%.17g", x); }

/// Prints a row-major [D, H, W] array as nested JSON arrays.
void printImage(const std::vector<double>& data, const calo::Geometry& g) {
    std::size_t index = 0;
    std::printf("[");
    for (int k = 0; k < g.layers; ++k) {
        std::printf(k ? ",[" : "[");
        for (int i = 0; i < g.rows; ++i) {
            std::printf(i ? ",[" : "[");
            for (int j = 0; j < g.columns; ++j) {
                if (j) std::printf(",");
                printNumber(data[index++]);
            }
            std::printf("]");
        }
        std::printf("]");
    }
    std::printf("]");
}

bool parseCount(const char* text, unsigned long long& out) {
    char* end = nullptr;
    errno = 0;
    out = std::strtoull(text, &end, 10);
    return errno == 0 && end != text && *end == '\0' && text[0] != '-';
}

bool parseGrid(const std::string& text, calo::Geometry& g) {
    int values[3];
    const char* p = text.c_str();
    for (int k = 0; k < 3; ++k) {
        char* end = nullptr;
        errno = 0;
        const long v = std::strtol(p, &end, 10);
        if (errno != 0 || end == p || v < 1 || v > 1000) return false;
        values[k] = static_cast<int>(v);
        if (k < 2) {
            if (*end != 'x' && *end != ',') return false;
            p = end + 1;
        } else if (*end != '\0') {
            return false;
        }
    }
    g.layers = values[0];
    g.rows = values[1];
    g.columns = values[2];
    return true;
}

int usage(const char* program) {
    std::fprintf(stderr,
                 "usage: %s ENDPOINT [OPTIONS]          serve the model over PPX (e.g. ipc:///tmp/calo)\n"
                 "       %s --prior N [SEED] [OPTIONS]  run N standalone traces, print each result (one-hot channel)\n"
                 "       %s --simulate SEED [OPTIONS]   print one simulated observation as JSON {\"calo\": ...}\n"
                 "                                      (the truth goes to stderr)\n"
                 "       %s --channel-means [OPTIONS]   print the noiseless image of every channel under\n"
                 "                                      --fixed-kinematics, with the channel probabilities, as JSON\n"
                 "options: --grid DxHxW (default 20x35x35)  --noise SIGMA (GeV per cell, default 0.1)\n"
                 "         --fixed-kinematics (draw only the channel; every other latent at a fixed central value)\n",
                 program, program, program, program);
    return 64;
}

}  // namespace

int main(int argc, char** argv) {
    const char* program = argc > 0 ? argv[0] : "calorimeter";
    const std::string modelName = "Tau decay in a calorimeter";
    std::vector<std::string> positional;
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument == "--grid" && i + 1 < argc) {
            if (!parseGrid(argv[++i], options.geometry)) {
                std::fprintf(stderr, "%s: --grid wants DxHxW with each extent in 1...1000, got '%s'\n", program,
                             argv[i]);
                return 64;
            }
        } else if (argument == "--noise" && i + 1 < argc) {
            char* end = nullptr;
            options.noise = std::strtod(argv[++i], &end);
            if (end == argv[i] || *end != '\0' || !(options.noise > 0) || !std::isfinite(options.noise)) {
                std::fprintf(stderr, "%s: --noise wants a positive number, got '%s'\n", program, argv[i]);
                return 64;
            }
        } else if (argument == "--fixed-kinematics") {
            options.fixedKinematics = true;
        } else {
            positional.push_back(argument);
        }
    }
    Model model(options);
    const lumis::Forward forward = [&model] { return model.run(); };
    unsigned long long count = 0, seedValue = 0;
    try {
        if (positional.size() == 1 && positional[0][0] != '-') return lumis::serve(positional[0], modelName, forward);
        if ((positional.size() == 2 || positional.size() == 3) && positional[0] == "--prior" &&
            parseCount(positional[1].c_str(), count) &&
            (positional.size() == 2 || parseCount(positional[2].c_str(), seedValue))) {
            if (positional.size() == 3) lumis::seed(seedValue);
            for (unsigned long long t = 0; t < count; ++t) {
                const lumis::Tensor result = model.run();
                for (std::size_t j = 0; j < result.data.size(); ++j) std::printf(j ? " %g" : "%g", result.data[j]);
                std::printf("\n");
            }
            return 0;
        }
        if (positional.size() == 2 && positional[0] == "--simulate" && parseCount(positional[1].c_str(), seedValue)) {
            lumis::seed(seedValue);
            model.run();
            std::mt19937_64 noise(seedValue ^ 0x9e3779b97f4a7c15ULL);
            const lumis::Tensor observed = lumis::samplePrior(lumis::Normal(model.image(), options.noise), noise);
            std::printf("{\"calo\": ");
            printImage(observed.data, options.geometry);
            std::printf("}\n");
            const Truth& t = model.truth();
            std::fprintf(stderr,
                         "truth: channel %d (%s), px %.6g, py %.6g, pz %.6g GeV, n_extra %d, visible energy %.6g GeV\n",
                         t.channel, calo::channels()[static_cast<std::size_t>(t.channel)].label, t.px, t.py, t.pz,
                         t.extra, t.visibleEnergy);
            return 0;
        }
        if (positional.size() == 1 && positional[0] == "--channel-means") {
            options.fixedKinematics = true;
            Model fixed(options);
            const auto& g = options.geometry;
            std::printf("{\"shape\": [%d, %d, %d], \"probs\": [", g.layers, g.rows, g.columns);
            const auto& probabilities = fixed.channelProbabilities().data;
            for (std::size_t c = 0; c < probabilities.size(); ++c) {
                if (c) std::printf(", ");
                printNumber(probabilities[c]);
            }
            std::printf("], \"means\": [");
            for (std::size_t c = 0; c < probabilities.size(); ++c) {
                fixed.run(static_cast<int>(c));
                std::printf(c ? ", [" : "[");
                for (std::size_t j = 0; j < fixed.image().data.size(); ++j) {
                    if (j) std::printf(", ");
                    printNumber(fixed.image().data[j]);
                }
                std::printf("]");
            }
            std::printf("]}\n");
            return 0;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", program, e.what());
        return 1;
    }
    return usage(program);
}
