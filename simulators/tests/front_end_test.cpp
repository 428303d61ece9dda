// Protocol tests of the front end: a scripted engine (REQ) talks to lumis::serve running a GUM in a thread.
// Run with `ctest --test-dir simulators/build` or simulators/build/bin/front_end_test.
#include "lumis/lumis.hpp"
#include "../src/wire.hpp"

#include <zmq.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

int failures = 0;

#define EXPECT(condition)                                                                 \
    do {                                                                                  \
        if (!(condition)) {                                                               \
            std::fprintf(stderr, "front_end_test:%d: EXPECT(%s) failed\n", __LINE__, #condition); \
            ++failures;                                                                   \
        }                                                                                 \
    } while (0)

lumis::Tensor gum() {
    const double mu = lumis::sample(lumis::Normal(1.0, std::sqrt(5.0)), "mu");
    lumis::observe(lumis::Normal(mu, std::sqrt(2.0)), "obs0");
    lumis::observe(lumis::Normal(mu, std::sqrt(2.0)), 9.0, "obs1", "explicit-address");
    lumis::tag(mu, "mu");
    return mu;
}

struct Engine {
    void* context = zmq_ctx_new();
    void* socket = zmq_socket(context, ZMQ_REQ);
    flatbuffers::FlatBufferBuilder b{256};
    std::vector<uint64_t> inbox;

    explicit Engine(const std::string& endpoint) {
        const int timeout = 5000, linger = 0;
        zmq_setsockopt(socket, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
        zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger);
        zmq_connect(socket, endpoint.c_str());
    }
    ~Engine() {
        zmq_close(socket);
        zmq_ctx_term(context);
    }

    const ppx::Message* send(ppx::MessageBody type, flatbuffers::Offset<void> body) {
        b.Finish(ppx::CreateMessage(b, type, body));
        return sendRaw(b.GetBufferPointer(), b.GetSize());
    }

    const ppx::Message* sendRaw(const void* bytes, std::size_t size) {
        zmq_send(socket, bytes, size, 0);
        b.Clear();
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, socket, 0) < 0) {
            std::fprintf(stderr, "front_end_test: no reply\n");
            std::exit(1);
        }
        const std::size_t n = zmq_msg_size(&frame);
        inbox.resize((n + 7) / 8);
        std::memcpy(inbox.data(), zmq_msg_data(&frame), n);
        zmq_msg_close(&frame);
        return lumis::wire::verified(reinterpret_cast<const uint8_t*>(inbox.data()), n);
    }

    const ppx::Message* run() { return send(ppx::MessageBody_Run, ppx::CreateRun(b).Union()); }

    const ppx::Message* sampleResult(const lumis::Tensor& value) {
        return send(ppx::MessageBody_SampleResult, ppx::CreateSampleResult(b, lumis::wire::encode(b, value)).Union());
    }
};

bool is(const ppx::Message* m, ppx::MessageBody type) { return m != nullptr && m->body_type() == type; }

}  // namespace

int main() {
    const std::string endpoint = "ipc:///tmp/lumis-front-end-test-" + std::to_string(getpid());
    int status = -1;
    std::thread server([&] { status = lumis::serve(endpoint, "Gaussian with unknown mean", gum); });
    {
        Engine engine(endpoint);

        // Handshake.
        auto m = engine.send(ppx::MessageBody_Handshake,
                             ppx::CreateHandshake(engine.b, engine.b.CreateString("test")).Union());
        EXPECT(is(m, ppx::MessageBody_HandshakeResult));
        EXPECT(m->body_as_HandshakeResult()->system_name()->str() == "lumis_cpp 0.1");
        EXPECT(m->body_as_HandshakeResult()->model_name()->str() == "Gaussian with unknown mean");

        // A full trace, checking the wire details PROTOCOL.md fixes.
        m = engine.run();
        EXPECT(is(m, ppx::MessageBody_Sample));
        auto s = m->body_as_Sample();
        EXPECT(s->name()->str() == "mu");
        EXPECT(s->address()->str() == "front_end_test.cpp:30");
        EXPECT(flatbuffers::IsFieldPresent(s, ppx::Sample::VT_CONTROL) && s->control());
        EXPECT(s->distribution_type() == ppx::Distribution_Normal);
        auto mean = s->distribution_as_Normal()->mean();
        EXPECT(mean->data()->size() == 1 && mean->data()->Get(0) == 1.0 && mean->shape() && mean->shape()->size() == 0);
        m = engine.sampleResult(7.25);
        EXPECT(is(m, ppx::MessageBody_Observe));
        EXPECT(m->body_as_Observe()->value() == nullptr);  // Value comes from the engine by name.
        EXPECT(m->body_as_Observe()->distribution_as_Normal()->mean()->data()->Get(0) == 7.25);
        m = engine.send(ppx::MessageBody_ObserveResult, ppx::CreateObserveResult(engine.b).Union());
        EXPECT(is(m, ppx::MessageBody_Observe));
        EXPECT(m->body_as_Observe()->address()->str() == "explicit-address");
        EXPECT(m->body_as_Observe()->value()->data()->Get(0) == 9.0);
        m = engine.send(ppx::MessageBody_ObserveResult, ppx::CreateObserveResult(engine.b).Union());
        EXPECT(is(m, ppx::MessageBody_Tag));
        m = engine.send(ppx::MessageBody_TagResult, ppx::CreateTagResult(engine.b).Union());
        EXPECT(is(m, ppx::MessageBody_RunResult));
        EXPECT(m->body_as_RunResult()->result()->data()->Get(0) == 7.25);
        EXPECT(m->body_as_RunResult()->result()->shape() != nullptr);

        // Wrong reply inside sample: Reset, trace abandoned, simulator stays up.
        EXPECT(is(engine.run(), ppx::MessageBody_Sample));
        EXPECT(is(engine.run(), ppx::MessageBody_Reset));
        // Empty SampleResult tensor: Reset.
        EXPECT(is(engine.run(), ppx::MessageBody_Sample));
        EXPECT(is(engine.sampleResult(lumis::Tensor()), ppx::MessageBody_Reset));
        // Two elements for a scalar sample: Reset.
        EXPECT(is(engine.run(), ppx::MessageBody_Sample));
        EXPECT(is(engine.sampleResult({1.0, 2.0}), ppx::MessageBody_Reset));
        // Wrong reply inside observe: Reset.
        EXPECT(is(engine.run(), ppx::MessageBody_Sample));
        EXPECT(is(engine.sampleResult(1.0), ppx::MessageBody_Observe));
        EXPECT(is(engine.sampleResult(1.0), ppx::MessageBody_Reset));
        // Garbage and unexpected bodies while idle: Reset.
        const uint8_t garbage[] = {1, 2, 3, 4, 5, 6, 7};
        EXPECT(is(engine.sendRaw(garbage, sizeof garbage), ppx::MessageBody_Reset));
        EXPECT(is(engine.send(ppx::MessageBody_TagResult, ppx::CreateTagResult(engine.b).Union()),
                  ppx::MessageBody_Reset));
        // Still serving normally afterwards.
        EXPECT(is(engine.run(), ppx::MessageBody_Sample));
        EXPECT(is(engine.sampleResult(2.0), ppx::MessageBody_Observe));
    }
    // SIGTERM stops serve() promptly with status 0.
    std::raise(SIGTERM);
    server.join();
    EXPECT(status == 0);
    std::remove(endpoint.substr(std::string("ipc://").size()).c_str());  // the socket file outlives serve()
    EXPECT(!lumis::isConnected());

    // Standalone: prior draws; observe and tag do nothing.
    lumis::seed(42);
    EXPECT(std::isfinite(gum().item()));

    if (failures == 0) std::printf("front_end_test: all checks passed\n");
    return failures == 0 ? 0 : 1;
}
