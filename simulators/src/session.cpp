// The PPX simulator side: REP socket, idle loop, and the sample/observe/tag round trips.
#include "lumis/lumis.hpp"
#include "call_stack.hpp"
#include "wire.hpp"

#include <zmq.h>

#include <cerrno>
#include <csignal>
#include <pthread.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

namespace lumis {

namespace {

// Thrown to unwind out of `forward` back to the idle loop after the engine got its reply (Reset or raw bytes).
// Deliberately not derived from std::exception, so `catch (const std::exception&)` in user code won't stop it.
struct AbandonTrace {};
// Thrown to unwind out of everything once SIGTERM/SIGINT arrived.
struct StopServing {};

volatile std::sig_atomic_t stopFlag = 0;

extern "C" void onStopSignal(int) { stopFlag = 1; }

std::mt19937_64& localGenerator() {
    static std::mt19937_64 generator{std::random_device{}()};
    return generator;
}

// How often a blocking receive wakes up to check for a stop signal.
constexpr int pollMilliseconds = 100;

class Session {
public:
    explicit Session(const std::string& modelName) : modelName_(modelName), builder_(1024) {
        builder_.ForceDefaults(true);  // Writes Sample.control even when true, as PROTOCOL.md's peers expect.
        zmq_msg_init(&frame_);
    }

    ~Session() {
        zmq_msg_close(&frame_);
        if (socket_ != nullptr) zmq_close(socket_);
        if (context_ != nullptr) zmq_ctx_term(context_);
    }

    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    bool bind(const std::string& endpoint) {
        context_ = zmq_ctx_new();
        socket_ = context_ != nullptr ? zmq_socket(context_, ZMQ_REP) : nullptr;
        if (socket_ == nullptr) {
            std::fprintf(stderr, "lumis: cannot create a ZeroMQ REP socket: %s\n", zmq_strerror(zmq_errno()));
            return false;
        }
        const int linger = 0, timeout = pollMilliseconds;
        zmq_setsockopt(socket_, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(socket_, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
        if (zmq_bind(socket_, endpoint.c_str()) != 0) {
            std::fprintf(stderr, "lumis: cannot bind %s: %s\n", endpoint.c_str(), zmq_strerror(zmq_errno()));
            return false;
        }
        return true;
    }

    /// Blocks until a frame arrives; returns the verified Message or nullptr for bytes that are not one.
    const ppx::Message* receive() {
        for (;;) {
            if (stopFlag) throw StopServing{};
            const int n = zmq_msg_recv(&frame_, socket_, 0);
            if (n >= 0) break;
            const int e = zmq_errno();
            if (e != EAGAIN && e != EINTR) {
                std::fprintf(stderr, "lumis: receive failed: %s\n", zmq_strerror(e));
                throw StopServing{};
            }
        }
        // PPX is single-frame; drop any extra frames so the socket stays in step.
        int more = 0;
        std::size_t moreSize = sizeof more;
        zmq_getsockopt(socket_, ZMQ_RCVMORE, &more, &moreSize);
        bool multipart = false;
        while (more) {
            multipart = true;
            zmq_msg_t extra;
            zmq_msg_init(&extra);
            zmq_msg_recv(&extra, socket_, 0);
            zmq_msg_close(&extra);
            zmq_getsockopt(socket_, ZMQ_RCVMORE, &more, &moreSize);
        }
        if (multipart) return nullptr;
        // Copy into 8-aligned storage: ZeroMQ's frame data has no alignment guarantee, the verifier needs it.
        const std::size_t size = zmq_msg_size(&frame_);
        inbox_.resize((size + 7) / 8);
        std::memcpy(inbox_.data(), zmq_msg_data(&frame_), size);
        return wire::verified(reinterpret_cast<const uint8_t*>(inbox_.data()), size);
    }

    void sendRaw(const void* bytes, std::size_t size) {
        while (zmq_send(socket_, bytes, size, 0) < 0) {
            const int e = zmq_errno();
            if (e == EINTR) continue;
            std::fprintf(stderr, "lumis: send failed: %s\n", zmq_strerror(e));
            throw StopServing{};
        }
    }

    /// Finishes `body` as a Message (no file identifier, like every PPX peer) and sends it.
    void send(ppx::MessageBody type, flatbuffers::Offset<void> body) {
        builder_.Finish(ppx::CreateMessage(builder_, type, body));
        sendRaw(builder_.GetBufferPointer(), builder_.GetSize());
    }

    flatbuffers::FlatBufferBuilder& builder() {
        builder_.Clear();
        return builder_;
    }

    void sendReset() {
        auto& b = builder();
        send(ppx::MessageBody_Reset, ppx::CreateReset(b).Union());
    }

    /// Answers the pending request with Reset, reports `what` and unwinds to the idle loop.
    [[noreturn]] void protocolError(const std::string& what) {
        std::fprintf(stderr, "lumis: %s; replied Reset and abandoned the current execution\n", what.c_str());
        sendReset();
        throw AbandonTrace{};
    }

    /// Sends the Sample/Observe/Tag already in the builder's body and returns the verified reply.
    const ppx::Message* roundTrip(ppx::MessageBody type, flatbuffers::Offset<void> body, ppx::MessageBody expected,
                                  const std::string& context) {
        send(type, body);
        const ppx::Message* reply = receive();
        if (reply == nullptr) protocolError("the reply to " + context + " is not a valid PPX message");
        if (reply->body_type() != expected) {
            protocolError(std::string("expected ") + ppx::EnumNameMessageBody(expected) + " in reply to " + context +
                          ", got " + describe(reply->body_type()));
        }
        return reply;
    }

    static std::string describe(ppx::MessageBody type) {
        const char* name = type <= ppx::MessageBody_MAX ? ppx::EnumNameMessageBody(type) : "";
        return *name ? std::string(name) : "body type " + std::to_string(static_cast<int>(type));
    }

    int idleLoop(const Forward& forward) {
        for (;;) {
            const ppx::Message* request = receive();
            if (request == nullptr) {
                std::fprintf(stderr, "lumis: received bytes that are not a valid PPX message; replied Reset\n");
                sendReset();
                continue;
            }
            switch (request->body_type()) {
            case ppx::MessageBody_Handshake: {
                auto& b = builder();
                const std::string systemName = std::string("lumis_cpp ") + version;
                auto s = b.CreateString(systemName);
                auto m = b.CreateString(modelName_);
                send(ppx::MessageBody_HandshakeResult, ppx::CreateHandshakeResult(b, s, m).Union());
                break;
            }
            case ppx::MessageBody_Run:
                runOnce(forward);
                break;
            default:
                std::fprintf(stderr, "lumis: unexpected %s while idle; replied Reset\n",
                             describe(request->body_type()).c_str());
                sendReset();
                break;
            }
        }
    }

private:
    void runOnce(const Forward& forward) {
        Tensor result;
        try {
            result = forward();
        } catch (const AbandonTrace&) {
            return;
        } catch (const StopServing&) {
            throw;
        } catch (const std::exception& e) {
            // The engine's last request is still unanswered whatever the model was doing.
            std::fprintf(stderr, "lumis: the model threw (%s); replied Reset and abandoned the execution\n", e.what());
            sendReset();
            return;
        }
        auto& b = builder();
        send(ppx::MessageBody_RunResult, ppx::CreateRunResult(b, wire::encode(b, result)).Union());
    }

    std::string modelName_;
    void* context_ = nullptr;
    void* socket_ = nullptr;
    zmq_msg_t frame_;
    std::vector<uint64_t> inbox_;
    flatbuffers::FlatBufferBuilder builder_;
};

Session* current = nullptr;

std::string describeSite(const char* what, const std::string& name, const std::string& address) {
    return std::string(what) + " '" + name + "' at " + address;
}

AddressMode initialMode() {
    const char* mode = std::getenv("LUMIS_ADDRESS_MODE");
    return mode != nullptr && std::strcmp(mode, "callstack") == 0 ? AddressMode::callStack : AddressMode::callSite;
}

AddressMode globalMode = initialMode();

std::string callStackText() {
    std::string text = callstack::current();
    if (text.empty()) {
        throw std::runtime_error("lumis: no function on the call stack has a symbol, so call-stack addresses cannot "
                                 "be formed (is the binary stripped?); use call-site or explicit addresses");
    }
    return text;
}

}  // namespace

void setAddressMode(AddressMode mode) { globalMode = mode; }

AddressMode addressMode() { return globalMode; }

Address::Address(Here, const char* file, int line) : kind_(Kind::site) {
    const char* base = std::strrchr(file, '/');
    text_ = std::string(base != nullptr ? base + 1 : file) + ":" + std::to_string(line);
}

Address::Address(CallStack) : kind_(Kind::stack) {}

Address Address::caller(const void* returnAddress) { return Address(callstack::resolve(returnAddress).text); }

std::string Address::text() const {
    if (kind_ == Kind::stack || (kind_ == Kind::site && globalMode == AddressMode::callStack)) return callStackText();
    return text_;
}

namespace {

Tensor sampleAt(const Distribution& distribution, const std::string& name, bool control, const std::string& address) {
    if (current == nullptr) return samplePrior(distribution, localGenerator());
    auto& b = current->builder();
    auto a = b.CreateString(address);
    auto n = b.CreateString(name);
    ppx::Distribution type = ppx::Distribution_NONE;
    auto d = wire::encode(b, distribution, type);
    auto body = ppx::CreateSample(b, a, n, type, d, control).Union();
    const std::string site = describeSite("Sample", name, address);
    const ppx::Message* reply = current->roundTrip(ppx::MessageBody_Sample, body, ppx::MessageBody_SampleResult, site);
    Tensor value;
    std::string error;
    if (!wire::decode(reply->body_as_SampleResult()->result(), value, error)) {
        current->protocolError("invalid SampleResult for " + site + ": " + error);
    }
    return value;
}

}  // namespace

Tensor sampleTensor(const Distribution& distribution, const std::string& name, bool control, Address address) {
    return sampleAt(distribution, name, control, current != nullptr ? address.text() : std::string());
}

double sample(const Distribution& distribution, const std::string& name, bool control, Address address) {
    // Standalone the address is only needed for an error, so no call stack is walked per draw.
    const std::string where = current != nullptr ? address.text() : std::string();
    const Tensor value = sampleAt(distribution, name, control, where);
    if (value.data.size() != 1) {
        if (current != nullptr) {
            current->protocolError("SampleResult for " + describeSite("Sample", name, where) + " has " +
                                   std::to_string(value.data.size()) + " elements, expected 1");
        }
        throw std::logic_error("lumis::sample: the " + std::string(kindName(distribution)) + " at " + address.text() +
                               " has tensor parameters; use sampleTensor");
    }
    return value.data[0];
}

namespace {

void sendObserve(const Distribution& distribution, const Tensor* value, const std::string& name,
                 const Address& address) {
    if (current == nullptr) return;
    const std::string where = address.text();
    auto& b = current->builder();
    auto a = b.CreateString(where);
    auto n = b.CreateString(name);
    ppx::Distribution type = ppx::Distribution_NONE;
    auto d = wire::encode(b, distribution, type);
    // No value: the engine takes it from its observation set by name, so the field must be absent.
    auto v = value != nullptr ? wire::encode(b, *value) : flatbuffers::Offset<ppx::Tensor>();
    auto body = ppx::CreateObserve(b, a, n, type, d, v).Union();
    current->roundTrip(ppx::MessageBody_Observe, body, ppx::MessageBody_ObserveResult,
                       describeSite("Observe", name, where));
}

}  // namespace

void observe(const Distribution& distribution, const std::string& name, Address address) {
    sendObserve(distribution, nullptr, name, address);
}

void observe(const Distribution& distribution, const Tensor& value, const std::string& name, Address address) {
    sendObserve(distribution, &value, name, address);
}

void tag(const Tensor& value, const std::string& name, Address address) {
    if (current == nullptr) return;
    const std::string where = address.text();
    auto& b = current->builder();
    auto a = b.CreateString(where);
    auto n = b.CreateString(name);
    auto v = wire::encode(b, value);
    current->roundTrip(ppx::MessageBody_Tag, ppx::CreateTag(b, a, n, v).Union(), ppx::MessageBody_TagResult,
                       describeSite("Tag", name, where));
}

int serve(const std::string& endpoint, const std::string& modelName, const Forward& forward) {
    if (current != nullptr) throw std::logic_error("lumis::serve: already serving");
    stopFlag = 0;
    // No SA_RESTART: a signal interrupts the blocking receive at once (EINTR) instead of at the next poll.
    struct sigaction action {}, oldTerm {}, oldInt {};
    action.sa_handler = onStopSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, &oldTerm);
    sigaction(SIGINT, &action, &oldInt);
    // A parent may have started us with these blocked (an inherited signal mask); they must reach the handler.
    sigset_t stopSignals, oldMask;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGTERM);
    sigaddset(&stopSignals, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &stopSignals, &oldMask);
    int status = 0;
    {
        Session session(modelName);
        if (session.bind(endpoint)) {
            current = &session;
            try {
                session.idleLoop(forward);
            } catch (const StopServing&) {
            }
            current = nullptr;
        } else {
            status = 1;
        }
    }
    pthread_sigmask(SIG_SETMASK, &oldMask, nullptr);
    sigaction(SIGTERM, &oldTerm, nullptr);
    sigaction(SIGINT, &oldInt, nullptr);
    return status;
}

bool isConnected() { return current != nullptr; }

bool stopRequested() { return stopFlag != 0; }

void abandonTrace(const std::string& reason) {
    if (current == nullptr) throw std::runtime_error("lumis::abandonTrace: " + reason);
    current->protocolError("the model abandoned the execution: " + reason);
}

void seed(std::uint64_t value) { localGenerator().seed(value); }

namespace testing {

void replyRawAndAbandon(const std::vector<std::uint8_t>& bytes) {
    if (current == nullptr) throw std::logic_error("lumis::testing::replyRawAndAbandon: not serving");
    current->sendRaw(bytes.data(), bytes.size());
    throw AbandonTrace{};
}

}  // namespace testing

}  // namespace lumis
