// ppx_probe: a minimal PPX engine (REQ side) for debugging simulators by hand.
//
//   ppx_probe ENDPOINT [TRACES [SEED]]
//
// Connects, handshakes, runs TRACES traces (default 3) answering each Sample with a prior draw, each Observe and
// Tag with an acknowledgement, and prints one line per message. A Reset from the simulator ends that trace.
// Exits 1 if the simulator sends something undecodable or stays silent for 5 s.
#include "lumis/lumis.hpp"
#include "../src/wire.hpp"

#include <zmq.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

std::string show(const lumis::Tensor& t) {
    std::string s = "[";
    for (std::size_t i = 0; i < t.data.size() && i < 8; ++i) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%s%.6g", i ? "," : "", t.data[i]);
        s += buffer;
    }
    if (t.data.size() > 8) s += ",...";
    s += "] shape [";
    for (std::size_t i = 0; i < t.shape.size(); ++i) s += (i ? "," : "") + std::to_string(t.shape[i]);
    return s + "]";
}

std::string show(const ppx::Tensor* t) {
    if (t == nullptr) return "(absent)";
    lumis::Tensor value;
    std::string error;
    if (!lumis::wire::decode(t, value, error)) return "(" + error + ")";
    return show(value);
}

struct Probe {
    void* context = zmq_ctx_new();
    void* socket = zmq_socket(context, ZMQ_REQ);
    flatbuffers::FlatBufferBuilder builder{1024};
    std::vector<uint64_t> inbox;

    ~Probe() {
        zmq_close(socket);
        zmq_ctx_term(context);
    }

    void send(ppx::MessageBody type, flatbuffers::Offset<void> body) {
        builder.Finish(ppx::CreateMessage(builder, type, body));
        if (zmq_send(socket, builder.GetBufferPointer(), builder.GetSize(), 0) < 0) {
            std::fprintf(stderr, "ppx_probe: send failed: %s\n", zmq_strerror(zmq_errno()));
            std::exit(1);
        }
        builder.Clear();
    }

    const ppx::Message* receive() {
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, socket, 0) < 0) {
            std::fprintf(stderr, "ppx_probe: no reply: %s\n", zmq_strerror(zmq_errno()));
            std::exit(1);
        }
        const std::size_t size = zmq_msg_size(&frame);
        inbox.resize((size + 7) / 8);
        std::memcpy(inbox.data(), zmq_msg_data(&frame), size);
        zmq_msg_close(&frame);
        const ppx::Message* m = lumis::wire::verified(reinterpret_cast<const uint8_t*>(inbox.data()), size);
        if (m == nullptr) {
            std::printf("<- %zu bytes that are not a valid PPX message\n", size);
            std::exit(1);
        }
        return m;
    }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 4) {
        std::fprintf(stderr, "usage: ppx_probe ENDPOINT [TRACES [SEED]]\n");
        return 64;
    }
    setvbuf(stdout, nullptr, _IOLBF, 0);  // Lines reach a pipe even if the probe is killed.
    const long traces = argc > 2 ? std::atol(argv[2]) : 3;
    std::mt19937_64 generator(argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1);
    Probe probe;
    const int timeout = 5000, linger = 0;
    zmq_setsockopt(probe.socket, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(probe.socket, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(probe.socket, argv[1]) != 0) {
        std::fprintf(stderr, "ppx_probe: cannot connect %s\n", argv[1]);
        return 1;
    }
    auto& b = probe.builder;
    probe.send(ppx::MessageBody_Handshake, ppx::CreateHandshake(b, b.CreateString("ppx_probe")).Union());
    const ppx::Message* m = probe.receive();
    if (auto h = m->body_as_HandshakeResult()) {
        std::printf("<- HandshakeResult system_name=\"%s\" model_name=\"%s\"\n",
                    h->system_name() ? h->system_name()->c_str() : "", h->model_name() ? h->model_name()->c_str() : "");
    } else {
        std::printf("<- %s instead of HandshakeResult\n", ppx::EnumNameMessageBody(m->body_type()));
        return 1;
    }
    for (long t = 1; t <= traces; ++t) {
        std::printf("-> Run (trace %ld)\n", t);
        probe.send(ppx::MessageBody_Run, ppx::CreateRun(b).Union());
        for (bool done = false; !done;) {
            m = probe.receive();
            switch (m->body_type()) {
            case ppx::MessageBody_Sample: {
                auto s = m->body_as_Sample();
                lumis::Distribution d = lumis::Normal(0, 1);
                std::string error;
                if (!lumis::wire::decode(s->distribution_type(), s->distribution(), d, error)) {
                    std::printf("<- Sample with a bad distribution: %s\n", error.c_str());
                    return 1;
                }
                const lumis::Tensor value = lumis::samplePrior(d, generator);
                std::printf("<- Sample address=\"%s\" name=\"%s\" %s control=%s%s -> SampleResult %s\n",
                            s->address() ? s->address()->c_str() : "(absent)", s->name() ? s->name()->c_str() : "",
                            lumis::kindName(d), s->control() ? "true" : "false",
                            flatbuffers::IsFieldPresent(s, ppx::Sample::VT_CONTROL) ? "" : " (control absent)",
                            show(value).c_str());
                probe.send(ppx::MessageBody_SampleResult, ppx::CreateSampleResult(b, lumis::wire::encode(b, value)).Union());
                break;
            }
            case ppx::MessageBody_Observe: {
                auto o = m->body_as_Observe();
                std::printf("<- Observe address=\"%s\" name=\"%s\" %s value=%s -> ObserveResult\n",
                            o->address() ? o->address()->c_str() : "(absent)", o->name() ? o->name()->c_str() : "",
                            ppx::EnumNameDistribution(o->distribution_type()), show(o->value()).c_str());
                probe.send(ppx::MessageBody_ObserveResult, ppx::CreateObserveResult(b).Union());
                break;
            }
            case ppx::MessageBody_Tag: {
                auto g = m->body_as_Tag();
                std::printf("<- Tag address=\"%s\" name=\"%s\" value=%s -> TagResult\n",
                            g->address() ? g->address()->c_str() : "(absent)", g->name() ? g->name()->c_str() : "",
                            show(g->value()).c_str());
                probe.send(ppx::MessageBody_TagResult, ppx::CreateTagResult(b).Union());
                break;
            }
            case ppx::MessageBody_RunResult:
                std::printf("<- RunResult %s\n", show(m->body_as_RunResult()->result()).c_str());
                done = true;
                break;
            case ppx::MessageBody_Reset:
                std::printf("<- Reset (trace abandoned)\n");
                done = true;
                break;
            default:
                std::printf("<- unexpected %s\n", ppx::EnumNameMessageBody(m->body_type()));
                return 1;
            }
        }
    }
    return 0;
}
