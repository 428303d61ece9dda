// A GUM that misbehaves on purpose, for the engine's robustness tests. Deterministic; traces are counted per
// process from 1. Options (after the endpoint, each may repeat or combine):
//   --die-at N      exit with status 3 in trace N, right after its first Sample got its SampleResult
//   --reset-at N    in trace N, reply Reset to the first SampleResult, then go back to the idle loop
//   --garbage-at N  in trace N, reply 7 bytes that are not a FlatBuffer instead of the first Sample, then idle
//   --hang-at N     in trace N, after the first Sample, sleep until SIGTERM/SIGINT (then exit 0)
//   --bad-address-at N  in trace N, send a first Sample whose address holds a NUL, an escape and a newline and
//                   whose distribution is invalid (Normal stddev -1), as a mutated frame might
#include "lumis/lumis.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>

namespace {

std::set<unsigned long> dieAt, resetAt, garbageAt, hangAt, badAddressAt;
unsigned long traceNumber = 0;

lumis::Tensor forward() {
    const unsigned long n = ++traceNumber;
    if (garbageAt.count(n)) {
        // Fixed bytes: the root offset 0xFFFFFFF7 points far outside the 7-byte frame, so no verifier accepts it.
        lumis::testing::replyRawAndAbandon({0xf7, 0xff, 0xff, 0xff, 0x13, 0x5a, 0xc4});
    }
    if (badAddressAt.count(n)) {
        lumis::sample(lumis::Normal(1.0, -1.0), "mu", true, std::string("gum\0.cpp\x1b[31m:9\n", 16));
    }
    const double mu = lumis::sample(lumis::Normal(1.0, std::sqrt(5.0)), "mu");
    if (dieAt.count(n)) {
        std::fprintf(stderr, "faulty: dying in trace %lu as asked\n", n);
        std::fflush(stderr);
        std::_Exit(3);
    }
    if (resetAt.count(n)) lumis::abandonTrace("faulty --reset-at " + std::to_string(n));
    if (hangAt.count(n)) {
        while (!lumis::stopRequested()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        lumis::abandonTrace("stop signal while hanging");  // serve() then sees the signal and returns 0.
    }
    const lumis::Normal likelihood(mu, std::sqrt(2.0));
    lumis::observe(likelihood, "obs0");
    lumis::observe(likelihood, "obs1");
    return mu;
}

bool parse(const char* text, unsigned long& out) {
    char* end = nullptr;
    out = std::strtoul(text, &end, 10);
    return end != text && *end == '\0' && out >= 1;
}

}  // namespace

int main(int argc, char** argv) {
    bool ok = argc >= 2 && argv[1][0] != '-';
    for (int i = 2; ok && i < argc; i += 2) {
        const std::string option = argv[i];
        unsigned long n = 0;
        ok = i + 1 < argc && parse(argv[i + 1], n);
        if (!ok) break;
        if (option == "--die-at") dieAt.insert(n);
        else if (option == "--reset-at") resetAt.insert(n);
        else if (option == "--garbage-at") garbageAt.insert(n);
        else if (option == "--hang-at") hangAt.insert(n);
        else if (option == "--bad-address-at") badAddressAt.insert(n);
        else ok = false;
    }
    if (!ok) {
        std::fprintf(stderr, "usage: faulty ENDPOINT [--die-at N] [--reset-at N] [--garbage-at N] [--hang-at N] [--bad-address-at N]...\n"
                             "       (N >= 1 counts traces per process; options may repeat and combine)\n");
        return 64;
    }
    return lumis::serve(argv[1], "Gaussian with unknown mean (faulty)", forward);
}
