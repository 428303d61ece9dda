// The Lumis driver (new file, not a change to the generator): one event per trace, the calorimeter reading
// observed as "energy" with a 5 GeV resolution, the process returned one-hot.
#include "generator.hpp"

#include "lumis/lumis.hpp"

int main(int argc, char** argv) {
    Rng rng(0);  // the seed is unused: the engine chooses every draw
    Generator generator(rng);
    return lumis::runMain(argc, argv, "Toy event generator", [&] {
        const Event event = generator.generate();
        lumis::observe(lumis::Normal(event.visibleEnergy(), 5.0), "energy");
        lumis::Tensor process({0, 0, 0}, {3});
        process.data[static_cast<std::size_t>(event.process)] = 1;
        return process;
    });
}
