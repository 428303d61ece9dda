// pyprob's hidden Markov model: 3 states, states x0...x16, observation obs_t emitted by state x_{t+1}.
#include "lumis/lumis.hpp"

#include <string>

namespace {

constexpr int stateCount = 3;
constexpr int observationCount = 16;

// Unnormalised, as in pyprob_cpp's HMM: Categorical normalises each row (pyprob/torch semantics).
const lumis::Tensor initial{1, 1, 1};
const lumis::Tensor transitions[stateCount] = {{0.1, 0.5, 0.4}, {0.2, 0.2, 0.6}, {0.15, 0.15, 0.7}};
const double emissionMeans[stateCount] = {-1, 1, 0};

lumis::Tensor forward() {
    lumis::Tensor states(std::vector<double>((observationCount + 1) * stateCount, 0.0),
                         {observationCount + 1, stateCount});
    int state = static_cast<int>(lumis::sample(lumis::Categorical(initial), "x0"));
    states.data[static_cast<std::size_t>(state)] = 1;
    for (int t = 0; t < observationCount; ++t) {
        state = static_cast<int>(lumis::sample(lumis::Categorical(transitions[state]), "x" + std::to_string(t + 1)));
        states.data[static_cast<std::size_t>((t + 1) * stateCount + state)] = 1;
        lumis::observe(lumis::Normal(emissionMeans[state], 1.0), "obs" + std::to_string(t));
    }
    return states;
}

}  // namespace

int main(int argc, char** argv) { return lumis::runMain(argc, argv, "Hidden Markov model", forward); }
