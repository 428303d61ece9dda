// zmq_pingpong: bare libzmq REQ/REP round-trip benchmark, the transport floor under a PPX conversation.
//
//   zmq_pingpong [--fork] ENDPOINT ROUNDTRIPS SIZE...
//
// SIZE is REQ:REP (request and reply bytes) or one number for both; the sizes are cycled through, so
// e.g. `80:176 176:80 ...` mimics the round trips of one GUM trace. A REP echo binds ENDPOINT and a REQ socket
// connects to it. The echo runs in a thread of the same process (one ZeroMQ context and I/O thread), or with
// --fork in a child process with its own context, which is the shape of an engine talking to a simulator.
// Prints one line: `roundtrips_per_second <rate>` (after one untimed warm-up cycle).
#include <zmq.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace {

struct Sizes {
    std::size_t request, reply;
};

bool parseSize(const std::string& text, Sizes& out) {
    const auto colon = text.find(':');
    char* end = nullptr;
    const std::string a = text.substr(0, colon);
    out.request = std::strtoul(a.c_str(), &end, 10);
    if (a.empty() || *end != '\0') return false;
    out.reply = out.request;
    if (colon != std::string::npos) {
        const std::string b = text.substr(colon + 1);
        out.reply = std::strtoul(b.c_str(), &end, 10);
        if (b.empty() || *end != '\0') return false;
    }
    return true;
}

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "zmq_pingpong: %s: %s\n", what, zmq_strerror(zmq_errno()));
    std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
    const bool forks = argc > 1 && std::string(argv[1]) == "--fork";
    if (forks) {
        --argc;
        ++argv;
    }
    std::vector<Sizes> sizes;
    long roundTrips = argc > 2 ? std::atol(argv[2]) : 0;
    for (int i = 3; i < argc; ++i) {
        Sizes s{};
        if (!parseSize(argv[i], s)) roundTrips = 0;
        sizes.push_back(s);
    }
    if (argc < 4 || roundTrips <= 0) {
        std::fprintf(stderr, "usage: zmq_pingpong [--fork] ENDPOINT ROUNDTRIPS SIZE... (SIZE = REQ:REP bytes or N)\n");
        return 64;
    }
    const int linger = 0;
    const long warmUp = static_cast<long>(sizes.size());
    const long total = roundTrips + warmUp;
    const auto serve = [&](void* serverContext) {
        void* rep = zmq_socket(serverContext, ZMQ_REP);
        zmq_setsockopt(rep, ZMQ_LINGER, &linger, sizeof linger);
        if (zmq_bind(rep, argv[1]) != 0) fail("bind");
        std::vector<char> buffer(1 << 20);
        std::vector<char> reply;
        for (long i = 0; i < total; ++i) {
            if (zmq_recv(rep, buffer.data(), buffer.size(), 0) < 0) fail("server receive");
            reply.resize(sizes[static_cast<std::size_t>(i) % sizes.size()].reply);
            if (zmq_send(rep, reply.data(), reply.size(), 0) < 0) fail("server send");
        }
        zmq_close(rep);
    };

    pid_t child = -1;
    std::thread server;
    void* context = nullptr;
    if (forks) {
        child = fork();
        if (child < 0) fail("fork");
        if (child == 0) {
            void* own = zmq_ctx_new();
            serve(own);
            zmq_ctx_term(own);
            std::_Exit(0);
        }
        context = zmq_ctx_new();
    } else {
        context = zmq_ctx_new();
        server = std::thread([&] { serve(context); });
    }

    void* req = zmq_socket(context, ZMQ_REQ);
    zmq_setsockopt(req, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(req, argv[1]) != 0) fail("connect");
    std::vector<char> request, buffer(1 << 20);
    auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < total; ++i) {
        if (i == warmUp) start = std::chrono::steady_clock::now();
        request.resize(sizes[static_cast<std::size_t>(i) % sizes.size()].request);
        if (zmq_send(req, request.data(), request.size(), 0) < 0) fail("client send");
        if (zmq_recv(req, buffer.data(), buffer.size(), 0) < 0) fail("client receive");
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (forks) {
        int status = 0;
        waitpid(child, &status, 0);
    } else {
        server.join();
    }
    zmq_close(req);
    zmq_ctx_term(context);
    std::printf("roundtrips_per_second %.1f\n", static_cast<double>(roundTrips) / seconds);
    return 0;
}
