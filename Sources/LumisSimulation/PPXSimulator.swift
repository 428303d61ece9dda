import Glibc
public import LumisCore
public import LumisTensor
public import LumisTransport
import LumisWire

/// A simulator in another process, driven over PPX: Lumis is the REQ side and connects to the simulator's REP
/// endpoint.
///
/// Each ``run(_:)`` is one PPX `Run` conversation. Any fault (a `Reset`, an unexpected or undecodable message,
/// a timeout, a launched process that died, a peer that disconnected) throws ``SimulatorFailure`` and marks the
/// connection for renewal:
/// the next run opens a fresh socket (restarting a launched process that is dead or hung) and handshakes again.
/// The trace in flight is never returned in part.
public final class PPXSimulator: Simulator {
    /// The system name Lumis sends in its handshake.
    public static let systemName = "lumis 0.1"

    /// The simulator's endpoint.
    public let endpoint: String
    /// The longest wait for any single reply.
    public let timeout: Duration
    /// The model name from the simulator's handshake.
    public private(set) var modelName = ""
    /// The system name from the simulator's handshake.
    public private(set) var simulatorSystemName = ""
    /// How many times a launched simulator was restarted.
    public private(set) var restartCount = 0

    private let context: ZMQContext
    private var socket: ZMQSocket
    private var encoder = MessageEncoder()
    private let process: SimulatorProcess?
    private let startup: LaunchSettings
    private var isConnected = false
    // Whether any handshake ever succeeded: a launched command that dies or never binds before its first one is
    // broken (a typo, a missing library), and starting it again would fail the same way; for an attached
    // simulator, a refused connection afterwards means it went away.
    private var hasConnectedOnce = false
    // The kind of the last message sent, for messages about the reply.
    private var lastSent = "Handshake"

    /// Creates a client for the simulator at `endpoint`; it connects on first use.
    ///
    /// - Parameters:
    ///   - endpoint: the simulator's REP endpoint, e.g. `tcp://127.0.0.1:5555` or `ipc:///tmp/sim`.
    ///   - context: the ZeroMQ context to make sockets in.
    ///   - timeout: the longest wait for one reply; a slower simulator is declared hung.
    ///   - process: the launched process behind the endpoint, if Lumis started it (it is then restarted on
    ///     failure).
    ///   - startup: for a launched process, how long it may take to answer its first handshake after a start,
    ///     and whom to tell while it is slow.
    public init(
        endpoint: String, context: ZMQContext, timeout: Duration = .seconds(60), process: SimulatorProcess? = nil,
        startup: LaunchSettings = LaunchSettings()
    ) throws {
        self.endpoint = endpoint
        self.context = context
        self.timeout = timeout
        self.process = process
        self.startup = startup
        self.socket = try ZMQSocket(context: context, kind: .request, monitorsPeer: true)
    }

    /// Connects and handshakes now, instead of on the first run.
    ///
    /// - Throws: ``SimulatorFailure`` if nothing answers within the timeout, or a ``ZMQError``.
    public func connect() throws {
        if isConnected { return }
        if let process, !process.isRunning {
            try process.restart()
            restartCount += 1
        }
        // The socket monitor reports a peer that disconnects or refuses connections at once (see receiveReply).
        socket = try ZMQSocket(context: context, kind: .request, monitorsPeer: true)
        try socket.connect(to: endpoint)
        let reply = try exchange(
            .handshake(systemName: Self.systemName), waitingFor: "HandshakeResult", isHandshake: true)
        switch reply {
        case .handshakeResult(let systemName, let modelName):
            self.simulatorSystemName = systemName
            self.modelName = modelName
            isConnected = true
            hasConnectedOnce = true
            _ = socket.peerEvents()  // Retries before the simulator was up are history now.
        case let other:
            throw outOfSync("sent \(other.kindName) in reply to Handshake; expected HandshakeResult")
        }
    }

    /// Runs one trace over PPX.
    ///
    /// - Throws: ``SimulatorFailure``; when what the simulator sent is invalid, ``SimulatorModelError`` naming the
    ///   endpoint of an attached simulator, or the bare `ModelError` for a launched one (its private endpoint would
    ///   tell the user nothing); a `ZMQError`.
    public func run(_ execution: inout TraceExecution) throws -> Tensor? {
        do {
            return try conversation(&execution)
        } catch let error as ModelError {
            // Our reply to the offending message is owed: start over on a fresh socket.
            isConnected = false
            if process != nil { throw error }
            throw SimulatorModelError(endpoint: endpoint, error: error)
        }
    }

    private func conversation(_ execution: inout TraceExecution) throws -> Tensor? {
        try connect()
        var reply = try exchange(.run, waitingFor: "the first message of a run")
        while true {
            switch reply {
            case .sample(let sample):
                let value = try execution.sample(
                    sample.distribution, address: sample.address, name: sample.name,
                    isControlled: sample.isControlled)
                reply = try exchange(.sampleResult(result: value), waitingFor: "the message after a SampleResult")
            case .observe(let observe):
                try execution.observe(
                    observe.distribution, address: observe.address, name: observe.name, value: observe.value)
                reply = try exchange(.observeResult, waitingFor: "the message after an ObserveResult")
            case .tag(let tag):
                execution.tag(tag.value, address: tag.address, name: tag.name)
                reply = try exchange(.tagResult, waitingFor: "the message after a TagResult")
            case .runResult(let result):
                return result
            case .reset:
                throw outOfSync(
                    "replied Reset to Lumis's \(lastSent) and abandoned the trace (its own output should say why)")
            case let other:
                throw outOfSync(
                    "sent \(other.kindName) in reply to Lumis's \(lastSent); expected Sample, Observe, Tag or RunResult"
                )
            }
        }
    }

    /// Sends `message` and waits for the reply, turning every fault into a ``SimulatorFailure``.
    private func exchange(_ message: Message, waitingFor expectation: String, isHandshake: Bool = false) throws
        -> Message
    {
        do {
            lastSent = message.kindName
            try encoder.withEncoded(message) { bytes in try socket.send(bytes, timeout: timeout) }
            return try receiveReply(expectation, isStartup: isHandshake && process != nil)
        } catch let failure as SimulatorFailure {
            isConnected = false
            throw failure
        } catch {
            // Whatever else interrupted the conversation (an interrupt, a model error), the REQ socket is now
            // out of step: start over on the next run.
            isConnected = false
            throw error
        }
    }

    /// Waits for one reply.
    ///
    /// `isStartup`: the handshake of a just-started process, which gets the start-up timeout, a note when slow,
    /// and (before the first handshake ever) a non-recoverable failure.
    private func receiveReply(_ expectation: String, isStartup: Bool = false) throws -> Message {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start.advanced(by: isStartup ? startup.startupTimeout : timeout)
        var hasNoted = false
        while true {
            do {
                return try socket.receive(timeout: .milliseconds(200)) { bytes in
                    do throws(WireError) {
                        return try MessageDecoder.decode(bytes)
                    } catch {
                        throw outOfSync(
                            "sent \(Self.describe(bytes)) that are not a PPX message (\(error)) while Lumis waited for "
                                + expectation)
                    }
                }
            } catch let multipart as ZMQSocket.MultipartMessage {
                throw outOfSync(
                    "sent a message of \(multipart.partCount) frames while Lumis waited for \(expectation)"
                        + " (PPX messages are single frames)")
            } catch ZMQSocket.WaitError.timedOut {
                // Exiting with a status before the first answer is a broken command; a signal (a crash, or a
                // kill from outside) may be bad luck and is retried like any failure.
                if isStartup && !hasConnectedOnce, let process, process.hasExitedWithStatus {
                    throw SimulatorFailure(
                        kind: .processExited, endpoint: endpoint,
                        detail: "command '\(process.resolvedCommand)' "
                            + "\(process.exitDescription ?? "exited") before answering there"
                            + (process.output == .discard ? " (see its output with --simulator-output inherit)" : ""),
                        isRecoverable: false)
                }
                if isStartup && !hasNoted && clock.now - start >= LaunchSettings.slowStartupNotice {
                    hasNoted = true
                    startup.onSlowStartup?(endpoint, Int((clock.now - start) / .seconds(1)))
                }
                if isStartup && !hasConnectedOnce && clock.now >= deadline, let process {
                    process.terminate()
                    throw SimulatorFailure(
                        kind: .timedOut, endpoint: endpoint,
                        detail: "command '\(process.resolvedCommand)' did not answer within "
                            + "\(startup.startupTimeout) of starting (--startup-timeout); process stopped",
                        isRecoverable: false)
                }
                if let process, !process.isRunning { throw exited(process, expectation) }
                try checkPeer(expectation)
                if clock.now >= deadline {
                    if let process {
                        // A hung launched simulator is stopped; the next run restarts it.
                        process.terminate()
                        throw SimulatorFailure(
                            kind: .timedOut, endpoint: endpoint,
                            detail: "no reply within \(timeout) while waiting for \(expectation); process stopped",
                            isRecoverable: true)
                    }
                    throw SimulatorFailure(
                        kind: .timedOut, endpoint: endpoint,
                        detail: isConnected
                            ? "no reply within \(timeout) while waiting for \(expectation)"
                            : "no simulator answered within \(timeout) (is it running and bound there?)",
                        isRecoverable: false)
                }
            }
        }
    }

    /// Throws when the socket monitor saw the peer go away.
    ///
    /// That is a dropped connection, or for an attached simulator that answered before (so the endpoint is known
    /// to be right) a refused one: waiting out the timeout would not help.
    private func checkPeer(_ expectation: String) throws {
        for event in socket.peerEvents() {
            switch event {
            case .connected:
                break
            case .disconnected:
                // A launched process that died drops its connection a moment before it can be reaped: say so.
                if let process {
                    for _ in 0..<20 where process.isRunning { usleep(50_000) }
                    if !process.isRunning { throw exited(process, expectation) }
                }
                throw SimulatorFailure(
                    kind: .disconnected, endpoint: endpoint,
                    detail: "the simulator disconnected (its process died or closed its socket) while Lumis waited "
                        + "for \(expectation)",
                    isRecoverable: true)
            case .connectRetried where hasConnectedOnce && process == nil:
                throw SimulatorFailure(
                    kind: .disconnected, endpoint: endpoint,
                    detail: "connection refused while Lumis waited for \(expectation): the simulator that answered "
                        + "here before is gone",
                    isRecoverable: true)
            case .connectRetried:
                break  // Not up yet (or a launched process restarting): the timeout decides.
            }
        }
    }

    private func exited(_ process: SimulatorProcess, _ expectation: String) -> SimulatorFailure {
        SimulatorFailure(
            kind: .processExited, endpoint: endpoint,
            detail: "process '\(process.resolvedCommand)' \(process.exitDescription ?? "exited")"
                + " while Lumis waited for \(expectation)",
            isRecoverable: true)
    }

    /// `n bytes (01 02 ...)`, at most the first 16 bytes shown.
    private static func describe(_ bytes: UnsafeRawBufferPointer) -> String {
        let shown = bytes.prefix(16).map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }
        let more = bytes.count > 16 ? " ..." : ""
        return "\(bytes.count) byte\(bytes.count == 1 ? "" : "s") (\(shown.joined(separator: " "))\(more))"
    }

    private func outOfSync(_ detail: String) -> SimulatorFailure {
        SimulatorFailure(kind: .outOfSync, endpoint: endpoint, detail: detail, isRecoverable: true)
    }
}

extension Message {
    /// The PPX body name, for messages.
    var kindName: String {
        switch self {
        case .handshake: "Handshake"
        case .handshakeResult: "HandshakeResult"
        case .run: "Run"
        case .runResult: "RunResult"
        case .sample: "Sample"
        case .sampleResult: "SampleResult"
        case .observe: "Observe"
        case .observeResult: "ObserveResult"
        case .tag: "Tag"
        case .tagResult: "TagResult"
        case .reset: "Reset"
        }
    }
}
