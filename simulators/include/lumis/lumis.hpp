// Lumis C++ front end: write a stochastic simulator once, run it standalone (prior draws) or under the Lumis
// inference engine over PPX 1.0 (FlatBuffers on a ZeroMQ REP socket). C++17; links libzmq.
//
// Addressing (docs/cpp-frontend.md): by default every sample/observe/tag call site gets the address
// "<file basename>:<line>" (e.g. "gum.cpp:17"), captured by default arguments. Code that draws through one
// wrapper (an RNG class called from many places) selects call-stack addresses instead, per call with
// `lumis::CallStack{}` or globally with `setAddressMode(AddressMode::callStack)` / LUMIS_ADDRESS_MODE=callstack:
// the return addresses between the model entry and the draw, each as "<function>+0x<offset>". Repeats of one
// address within a trace (loops) are told apart by the engine's instance counter.
#ifndef LUMIS_LUMIS_HPP
#define LUMIS_LUMIS_HPP

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <random>
#include <string>
#include <variant>
#include <vector>

namespace lumis {

/// The front end's version, reported as "lumis_cpp <version>" in the PPX handshake.
inline constexpr const char* version = "0.1";

/// A row-major float64 array with an int32 shape, as on the PPX wire. A scalar has shape [] and one datum;
/// a default-constructed Tensor (no data) means "none".
struct Tensor {
    std::vector<double> data;
    std::vector<int32_t> shape;

    /// The empty tensor ("none"): data [] and shape [].
    Tensor() = default;
    /// A scalar: data [x], shape [].
    Tensor(double x) : data{x} {}  // NOLINT: implicit so that `Normal(1, 2)` reads naturally.
    /// A 1-D tensor: data `values`, shape [n].
    Tensor(std::initializer_list<double> values);
    /// A tensor with the given row-major data and shape. Throws std::invalid_argument if the shape's element
    /// count differs from data.size() (an empty shape means one element) or a dimension is negative.
    Tensor(std::vector<double> data, std::vector<int32_t> shape);

    /// A scalar tensor.
    static Tensor scalar(double x) { return Tensor(x); }
    /// A 1-D tensor of the given values.
    static Tensor vector(std::vector<double> values);

    /// The number of elements.
    std::size_t size() const { return data.size(); }
    /// True when there is no data ("none").
    bool empty() const { return data.empty(); }
    /// True for shape [] with one datum.
    bool isScalar() const { return shape.empty() && data.size() == 1; }
    /// The single element. Throws std::logic_error unless size() == 1.
    double item() const;
    /// Element i of the flattened data (unchecked).
    double operator[](std::size_t i) const { return data[i]; }
};

bool operator==(const Tensor& a, const Tensor& b);
inline bool operator!=(const Tensor& a, const Tensor& b) { return !(a == b); }

// The 11 PPX distributions. Parameters are tensors whose shapes broadcast (numpy rules, as torch). Parameter names
// are the PPX wire names; what each accepts is the table in docs/distribution-semantics.md.

/// Normal(mean, stddev).
struct Normal { Tensor mean, stddev; Normal(Tensor mean, Tensor stddev) : mean(std::move(mean)), stddev(std::move(stddev)) {} };
/// Uniform on [low, high).
struct Uniform { Tensor low, high; Uniform(Tensor low, Tensor high) : low(std::move(low)), high(std::move(high)) {} };
/// Categorical over 0..K-1 with probabilities `probs` (last dimension K). Rows need not sum to 1: each is divided
/// by its sum, as in pyprob/torch (so `Categorical({1, 1, 1})` is uniform).
struct Categorical { Tensor probs; explicit Categorical(Tensor probs) : probs(std::move(probs)) {} };
/// Poisson(rate).
struct Poisson { Tensor rate; explicit Poisson(Tensor rate) : rate(std::move(rate)) {} };
/// Bernoulli(probs): 1 with probability probs, else 0.
struct Bernoulli { Tensor probs; explicit Bernoulli(Tensor probs) : probs(std::move(probs)) {} };
/// Beta(concentration1 = alpha, concentration0 = beta) on [0, 1].
struct Beta {
    Tensor concentration1, concentration0;
    Beta(Tensor c1, Tensor c0) : concentration1(std::move(c1)), concentration0(std::move(c0)) {}
};
/// Exponential(rate).
struct Exponential { Tensor rate; explicit Exponential(Tensor rate) : rate(std::move(rate)) {} };
/// Gamma(concentration, rate); mean concentration / rate.
struct Gamma {
    Tensor concentration, rate;
    Gamma(Tensor concentration, Tensor rate) : concentration(std::move(concentration)), rate(std::move(rate)) {}
};
/// LogNormal(loc, scale) of the underlying normal.
struct LogNormal { Tensor loc, scale; LogNormal(Tensor loc, Tensor scale) : loc(std::move(loc)), scale(std::move(scale)) {} };
/// Binomial(total_count, probs).
struct Binomial {
    Tensor total_count, probs;
    Binomial(Tensor total_count, Tensor probs) : total_count(std::move(total_count)), probs(std::move(probs)) {}
};
/// Weibull(scale, concentration); note the order: scale first, as on the wire.
struct Weibull {
    Tensor scale, concentration;
    Weibull(Tensor scale, Tensor concentration) : scale(std::move(scale)), concentration(std::move(concentration)) {}
};

/// Any PPX distribution; the variant index + 1 is the PPX union tag.
using Distribution =
    std::variant<Normal, Uniform, Categorical, Poisson, Bernoulli, Beta, Exponential, Gamma, LogNormal, Binomial, Weibull>;

/// The PPX name of the distribution kind ("Normal", "LogNormal", ...).
const char* kindName(const Distribution& distribution);

/// Checks `distribution` against the semantics table (pyprob 1.5.0's accepted parameters, non-finite values
/// excluded). Throws std::invalid_argument with one line naming the kind, parameter, element and value, e.g.
/// "Normal stddev[0] = -1 must be positive" (the engine's wording).
void validate(const Distribution& distribution);

/// The distribution as pyprob reads it: validated, Categorical rows divided by their sums. Throws as validate.
Distribution normalized(const Distribution& distribution);

/// How addresses are formed when a call does not pass one explicitly.
enum class AddressMode {
    /// "<file basename>:<line>" of the sample/observe/tag call (the default).
    callSite,
    /// The call stack between the model entry and the call: "<function>+0x<offset>" per return address,
    /// outermost first, joined by ";" (pyprob_cpp's scheme, made ASLR-independent).
    callStack,
};

/// Sets the address mode for calls that use the default address. The initial mode is callSite, or callStack
/// when the environment variable LUMIS_ADDRESS_MODE is "callstack".
void setAddressMode(AddressMode mode);

/// The current default address mode.
AddressMode addressMode();

/// Tag type that selects the source-location constructor of Address.
struct Here {};

/// Tag type: this call's address is its call stack, whatever the global mode.
struct CallStack {};

/// The address sent with a random statement: the caller's "<file basename>:<line>" (or its call stack in
/// callStack mode), a call stack on request, a caller identity from an RNG wrapper, or explicit text.
class Address {
public:
    /// The call site of the sample/observe/tag call, captured by default arguments.
    Address(Here = {}, const char* file = __builtin_FILE(), int line = __builtin_LINE());
    /// The call stack at the sample/observe/tag call.
    Address(CallStack);  // NOLINT: implicit by design.
    /// An explicit address chosen by the simulator author.
    Address(std::string text) : text_(std::move(text)), kind_(Kind::text) {}  // NOLINT: implicit by design.
    /// An explicit address chosen by the simulator author.
    Address(const char* text) : text_(text), kind_(Kind::text) {}  // NOLINT: implicit by design.

    /// The hook for RNG wrappers: the identity of the wrapper's caller, given as a return address inside it
    /// (pass `__builtin_return_address(0)` from the wrapper function, which must not be inlined). The text is
    /// "<function>+0x<offset>" of that return address, stable across runs of the same binary.
    static Address caller(const void* returnAddress);

    /// The address text as it will be sent. For call stacks it is resolved at the sample/observe/tag call, so
    /// this is the text of the stack of whoever asks (the front end asks inside the call).
    std::string text() const;

private:
    enum class Kind { site, stack, text };
    std::string text_;
    Kind kind_;
};

/// Draws a value from `distribution`; under the engine the engine picks it, standalone it is a prior draw.
/// `control = false` asks the engine to draw from the prior itself and never propose for it.
/// Throws std::logic_error if the value has more than one element (use sampleTensor).
double sample(const Distribution& distribution, const std::string& name = "", bool control = true, Address address = {});

/// Like sample, for distributions with tensor parameters; returns the whole value.
Tensor sampleTensor(const Distribution& distribution, const std::string& name = "", bool control = true,
                    Address address = {});

/// Observes the variable `name`, whose value the engine supplies from its observation set (the Observe message
/// carries no value). Standalone it does nothing.
void observe(const Distribution& distribution, const std::string& name, Address address = {});

/// Observes `value` under `distribution`. Standalone it does nothing.
void observe(const Distribution& distribution, const Tensor& value, const std::string& name, Address address = {});

/// Records `value` in the trace under `name` without probability (e.g. a derived quantity to report).
void tag(const Tensor& value, const std::string& name, Address address = {});

/// The model body: one call = one execution (trace); returns the trace's result.
using Forward = std::function<Tensor()>;

/// Binds a REP socket at `endpoint` (e.g. "ipc:///tmp/gum", "tcp://*:5555") and answers the engine until
/// SIGTERM/SIGINT: Handshake -> HandshakeResult{"lumis_cpp 0.1", modelName}; Run -> runs `forward` once and
/// replies RunResult; anything else in the idle loop -> Reset. A protocol violation inside a trace is answered
/// with Reset and abandons that trace (one line on stderr); the process keeps serving.
/// Returns the process exit status: 0 after a stop signal, 1 if the endpoint cannot be bound.
int serve(const std::string& endpoint, const std::string& modelName, const Forward& forward);

/// A simulator's whole main(): `prog ENDPOINT` serves the model at ENDPOINT; `prog --prior N [SEED]` runs N
/// standalone traces (prior draws) and prints each result's data on one line. Returns the exit status.
int runMain(int argc, char** argv, const std::string& modelName, const Forward& forward);

/// True while `serve` is running (random statements then go to the engine).
bool isConnected();

/// True once SIGTERM or SIGINT arrived during `serve`.
bool stopRequested();

/// Inside a served trace: replies Reset to the engine's pending request and abandons the trace (throws an
/// internal exception that `serve` catches; do not swallow it with catch (...)). Standalone: throws
/// std::runtime_error.
[[noreturn]] void abandonTrace(const std::string& reason);

/// Seeds the generator used for standalone (prior) draws. Unseeded, it starts from std::random_device.
void seed(std::uint64_t value);

/// One prior draw from `normalized(distribution)` with `generator` (broadcast parameter shape; Categorical drops
/// the last dimension). Throws std::invalid_argument as validate does.
Tensor samplePrior(const Distribution& distribution, std::mt19937_64& generator);

namespace testing {
/// For robustness tests only: inside a served trace, sends `bytes` verbatim as the reply to the pending request
/// and abandons the trace, as abandonTrace does.
[[noreturn]] void replyRawAndAbandon(const std::vector<std::uint8_t>& bytes);
}  // namespace testing

}  // namespace lumis

#endif  // LUMIS_LUMIS_HPP
