// pyprob's branching model: the trace type (which addresses occur) depends on r.
#include "lumis/lumis.hpp"

namespace {

// fib as in pyprob and pyprob_cpp: fib(0) = fib(1) = fib(2) = 1, then b = a + b for i = 3...n.
double fib(int n) {
    double a = 1, b = 1;
    for (int i = 3; i <= n; ++i) {
        const double c = a + b;
        a = b;
        b = c;
    }
    return b;
}

lumis::Tensor forward() {
    const double r = lumis::sample(lumis::Poisson(4.0), "r");
    double l = 6;
    if (r <= 4) {
        const double s = lumis::sample(lumis::Poisson(4.0), "s");
        l = 1 + fib(3 * static_cast<int>(r)) + s;
    }
    lumis::observe(lumis::Poisson(l), "obs");
    return r;
}

}  // namespace

int main(int argc, char** argv) { return lumis::runMain(argc, argv, "Branching", forward); }
