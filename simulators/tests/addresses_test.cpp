// Call-stack addresses: readable, distinct per call path, the same for every path through one RNG wrapper
// call site, and identical across two runs of the same binary although ASLR moves the code between them.
// `addresses_test` runs itself twice with --print and compares.
#include "lumis/lumis.hpp"

#include <cstdio>
#include <set>
#include <string>
#include <vector>

namespace {

int failures = 0;

#define EXPECT(condition)                                                                      \
    do {                                                                                       \
        if (!(condition)) {                                                                    \
            std::fprintf(stderr, "addresses_test:%d: EXPECT(%s) failed\n", __LINE__, #condition); \
            ++failures;                                                                        \
        }                                                                                      \
    } while (0)

std::vector<std::string> recorded;

// An existing code's RNG wrapper: every draw of the program goes through here.
struct Random {
    __attribute__((noinline)) void draw() { recorded.push_back(lumis::Address(lumis::CallStack{}).text()); }
    // The caller-identity hook: the wrapper names its caller's return address.
    __attribute__((noinline)) void drawFromCaller() {
        recorded.push_back(lumis::Address::caller(__builtin_return_address(0)).text());
    }
    // Call-site default addresses resolved in the global mode.
    __attribute__((noinline)) void drawDefault(lumis::Address where = {}) { recorded.push_back(where.text()); }
};

Random rng;

// Code after each call keeps the optimiser from turning it into a tail call, which would drop the caller's frame
// (docs/cpp-frontend.md: stability rules).
#define KEEP_FRAME() asm volatile("" ::: "memory")

__attribute__((noinline)) void decay() {
    rng.draw();
    KEEP_FRAME();
}
__attribute__((noinline)) void scatter() {
    rng.draw();
    rng.draw();
    KEEP_FRAME();
}
__attribute__((noinline)) void shower() {
    decay();
    scatter();
    KEEP_FRAME();
}
__attribute__((noinline)) void hooked() {
    rng.drawFromCaller();
    rng.drawFromCaller();
    KEEP_FRAME();
}

// A trip count the compiler cannot see, so the loop is not unrolled into two call sites.
volatile int repeats = 2;

/// The addresses of one fixed sequence of calls.
std::vector<std::string> run() {
    recorded.clear();
    for (int i = 0; i < repeats; ++i) decay();  // 0, 1: one path twice
    scatter();                            // 2, 3: two call sites in one function
    shower();                             // 4, 5, 6: the same three sites reached through shower
    hooked();                             // 7, 8
    lumis::setAddressMode(lumis::AddressMode::callSite);
    rng.drawDefault();  // 9
    lumis::setAddressMode(lumis::AddressMode::callStack);
    rng.drawDefault();  // 10
    lumis::setAddressMode(lumis::AddressMode::callSite);
    return recorded;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::string(argv[1]) == "--print") {
        for (const auto& a : run()) std::printf("%s\n", a.c_str());
        std::printf("load %p\n", reinterpret_cast<void*>(&run));  // shows that ASLR moved the code
        return 0;
    }
    const auto a = run();
    for (const auto& x : a) std::printf("  %s\n", x.c_str());
    EXPECT(a.size() == 11);
    if (a.size() != 11) return 1;
    // Readable: outermost first, demangled function names with offsets, the wrapper innermost, main left out.
    EXPECT(a[0].find("(anonymous namespace)::decay()+0x") != std::string::npos);
    EXPECT(a[0].find(";(anonymous namespace)::Random::draw()") != std::string::npos);
    EXPECT(a[0].find("main") == std::string::npos);
    // Equal for the same path, distinct per call path.
    EXPECT(a[0] == a[1]);
    EXPECT(std::set<std::string>(a.begin() + 1, a.begin() + 7).size() == 6);
    EXPECT(a[4].find(";(anonymous namespace)::shower()+0x") != std::string::npos);
    EXPECT(a[4].find(";(anonymous namespace)::decay()+0x") != std::string::npos);
    // The caller hook names the two call sites in `hooked`, one frame each.
    EXPECT(a[7] != a[8]);
    EXPECT(a[7].rfind("(anonymous namespace)::hooked()+0x", 0) == 0 && a[7].find(';') == std::string::npos);
    // The default address follows the global mode.
    EXPECT(a[9].rfind("addresses_test.cpp:", 0) == 0);
    EXPECT(a[10].rfind("(anonymous namespace)::run[abi:cxx11]()+0x", 0) == 0 || a[10].rfind("(anonymous namespace)::run()+0x", 0) == 0);

    // Two runs of this binary: identical addresses, though (with ASLR on) loaded at different places.
    std::vector<std::string> runs[2];
    for (auto& lines : runs) {
        const std::string command = std::string(argv[0]) + " --print";
        FILE* pipe = popen(command.c_str(), "r");
        EXPECT(pipe != nullptr);
        if (pipe == nullptr) return 1;
        char line[4096];
        while (std::fgets(line, sizeof line, pipe) != nullptr) lines.emplace_back(line);
        EXPECT(pclose(pipe) == 0);
    }
    EXPECT(runs[0].size() == 12 && runs[1].size() == 12);
    if (runs[0].size() == 12 && runs[1].size() == 12) {
        EXPECT(std::vector<std::string>(runs[0].begin(), runs[0].end() - 1) ==
               std::vector<std::string>(runs[1].begin(), runs[1].end() - 1));
        if (runs[0].back() == runs[1].back()) std::printf("addresses_test: note: ASLR is off on this machine\n");
    }

    if (failures == 0) std::printf("addresses_test: all checks passed\n");
    return failures == 0 ? 0 : 1;
}
