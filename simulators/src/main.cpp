#include "lumis/lumis.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace lumis {

namespace {

bool parseCount(const char* text, unsigned long long& out) {
    char* end = nullptr;
    errno = 0;
    out = std::strtoull(text, &end, 10);
    return errno == 0 && end != text && *end == '\0' && text[0] != '-';
}

}  // namespace

int runMain(int argc, char** argv, const std::string& modelName, const Forward& forward) {
    const char* program = argc > 0 ? argv[0] : "simulator";
    if (argc == 2 && argv[1][0] != '-') return serve(argv[1], modelName, forward);
    unsigned long long count = 0, seedValue = 0;
    if ((argc == 3 || argc == 4) && std::string(argv[1]) == "--prior" && parseCount(argv[2], count) &&
        (argc == 3 || parseCount(argv[3], seedValue))) {
        if (argc == 4) seed(seedValue);
        try {
            for (unsigned long long i = 0; i < count; ++i) {
                const Tensor result = forward();
                for (std::size_t j = 0; j < result.data.size(); ++j) {
                    std::printf(j ? " %.17g" : "%.17g", result.data[j]);
                }
                std::printf("\n");
            }
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%s: %s\n", program, e.what());
            return 1;
        }
        return 0;
    }
    std::fprintf(stderr,
                 "usage: %s ENDPOINT          serve \"%s\" over PPX (e.g. ipc:///tmp/sim, tcp://*:5555)\n"
                 "       %s --prior N [SEED]  run N standalone traces, print each result\n",
                 program, modelName.c_str(), program);
    return 64;
}

}  // namespace lumis
