import CZeroMQ
import Foundation
import LumisTensor
import LumisTransport
import LumisWire
import Synchronization

/// A scripted PPX simulator for protocol edge cases: a REP ``ZMQSocket`` on a thread of its own that answers
/// every Handshake itself and every other request with what its script returns.
final class FakeSimulator: Sendable {
    /// What the fake sends back.
    enum Reply: Sendable {
        /// A well-formed PPX message.
        case message(Message)
        /// Raw bytes as one frame.
        case bytes([UInt8])
    }

    /// The endpoint the fake binds.
    let endpoint: String
    private let isStopRequested = Atomic<Bool>(false)
    private let isBound = Atomic<Bool>(false)
    private let isFinished = Atomic<Bool>(false)
    private let failure = Mutex<String?>(nil)

    /// Binds `endpoint` and starts answering.
    ///
    /// - Parameter script: the reply to a request (`nil` when it did not decode), given how many Runs arrived
    ///   so far, counting this one.
    init(endpoint: String, script: @escaping @Sendable (_ request: Message?, _ runCount: Int) -> Reply) throws {
        self.endpoint = endpoint
        let thread = Thread { [self] in
            serve(script)
            isFinished.store(true, ordering: .releasing)
        }
        thread.start()
        while !isBound.load(ordering: .acquiring) && !isFinished.load(ordering: .acquiring) { usleep(1_000) }
        if let failure = failure.withLock({ $0 }) { throw FakeFailure(description: failure) }
    }

    /// Stops answering and waits for the thread to close its socket.
    func stop() {
        isStopRequested.store(true, ordering: .relaxed)
        while !isFinished.load(ordering: .acquiring) { usleep(1_000) }
    }

    private func serve(_ script: @Sendable (Message?, Int) -> Reply) {
        do {
            let context = try ZMQContext()
            let socket = try ZMQSocket(context: context, kind: .reply)
            try socket.bind(to: endpoint)
            isBound.store(true, ordering: .releasing)
            var encoder = MessageEncoder()
            var runCount = 0
            while !isStopRequested.load(ordering: .relaxed) {
                let request: Message?
                do {
                    request = try socket.receive(timeout: .milliseconds(100)) { try? MessageDecoder.decode($0) }
                } catch ZMQSocket.WaitError.timedOut {
                    continue
                }
                if case .run = request { runCount += 1 }
                let reply: Reply
                if case .handshake = request {
                    reply = .message(.handshakeResult(systemName: "fake 1", modelName: "Fake model"))
                } else {
                    reply = script(request, runCount)
                }
                switch reply {
                case .message(let message):
                    try encoder.withEncoded(message) { try socket.send($0, timeout: .seconds(5)) }
                case .bytes(let bytes):
                    try bytes.withUnsafeBytes { try socket.send($0, timeout: .seconds(5)) }
                }
            }
        } catch {
            failure.withLock { $0 = "\(error)" }
        }
    }
}

/// The fake could not bind or serve.
struct FakeFailure: Error, CustomStringConvertible {
    var description: String
}

/// A REP peer on raw libzmq (``ZMQSocket`` sends single frames only, by design) that answers the handshake and
/// then the first Run with `parts` as one multi-part message, and every later Run with `RunResult(later)`.
final class MultipartPeer: Sendable {
    private let isStopRequested = Atomic<Bool>(false)
    private let isBound = Atomic<Bool>(false)
    private let isFinished = Atomic<Bool>(false)

    init(endpoint: String, parts: [[UInt8]], later: Double) {
        let thread = Thread { [self] in
            serve(endpoint: endpoint, parts: parts, later: later)
            isFinished.store(true, ordering: .releasing)
        }
        thread.start()
        while !isBound.load(ordering: .acquiring) && !isFinished.load(ordering: .acquiring) { usleep(1_000) }
    }

    func stop() {
        isStopRequested.store(true, ordering: .relaxed)
        while !isFinished.load(ordering: .acquiring) { usleep(1_000) }
    }

    private func serve(endpoint: String, parts: [[UInt8]], later: Double) {
        guard let context = zmq_ctx_new() else { return }
        defer { zmq_ctx_term(context) }
        guard let socket = zmq_socket(context, ZMQ_REP) else { return }
        defer { zmq_close(socket) }
        var timeout: Int32 = 100
        var linger: Int32 = 0
        zmq_setsockopt(socket, ZMQ_RCVTIMEO, &timeout, MemoryLayout<Int32>.size)
        zmq_setsockopt(socket, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        guard zmq_bind(socket, endpoint) == 0 else { return }
        isBound.store(true, ordering: .releasing)
        var encoder = MessageEncoder()
        var runCount = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while !isStopRequested.load(ordering: .relaxed) {
            let count = buffer.withUnsafeMutableBytes { zmq_recv(socket, $0.baseAddress, $0.count, 0) }
            guard count >= 0 else { continue }
            let request = try? MessageDecoder.decode(Array(buffer[0..<min(Int(count), buffer.count)]))
            var frames: [[UInt8]]
            switch request {
            case .handshake: frames = [encoder.encode(.handshakeResult(systemName: "multipart 1", modelName: "M"))]
            case .run:
                runCount += 1
                frames = runCount == 1 ? parts : [encoder.encode(.runResult(result: Tensor(later)))]
            default: frames = [encoder.encode(.reset)]
            }
            for (index, frame) in frames.enumerated() {
                let flags = index + 1 < frames.count ? ZMQ_SNDMORE : 0
                _ = frame.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, flags) }
            }
        }
    }
}
