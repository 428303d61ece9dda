// The generator's own driver: `generator N SEED` prints N events.
#include "generator.hpp"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s EVENTS SEED\n", argv[0]);
        return 64;
    }
    Rng rng(std::strtoull(argv[2], nullptr, 10));
    Generator generator(rng);
    for (long i = 0, n = std::atol(argv[1]); i < n; ++i) {
        const Event event = generator.generate();
        std::printf("process %d jets %zu photon %d visible %.3f\n", event.process, event.jets.size(),
                    event.hasPhoton ? 1 : 0, event.visibleEnergy());
    }
    return 0;
}
