import CZeroMQ

/// A ZeroMQ REQ or REP socket exchanging single-frame messages, with bounded waits.
///
/// The socket owns one reusable `zmq_msg_t`, so receiving does not allocate on our side. Waits are sliced into
/// ``pollInterval`` steps so that ``Interrupt`` is noticed promptly. Linger is 0: closing never blocks.
public struct ZMQSocket: ~Copyable {
    /// The socket role.
    public enum Kind: Sendable {
        /// A REQ socket (the engine side of PPX).
        case request
        /// A REP socket (the simulator side of PPX).
        case reply
    }

    /// Why a wait ended without a message.
    public enum WaitError: Error, Equatable {
        /// Nothing arrived within the timeout.
        case timedOut
        /// ``Interrupt/request()`` was called while waiting.
        case interrupted
    }

    /// A message of more than one frame arrived where one frame was expected.
    public struct MultipartMessage: Error, Equatable {
        /// How many parts the message had.
        public var partCount: Int
    }

    /// What the socket monitor reported about the connection to the peer (see ``init(context:kind:maxMessageSize:monitorsPeer:)``).
    public enum PeerEvent: Sendable, Equatable {
        /// A connection to the peer was established.
        case connected
        /// A connection attempt failed (refused, no such ipc path) and will be retried.
        case connectRetried
        /// An established connection was lost: the peer closed its socket or its process died.
        case disconnected
    }

    /// How often a blocked wait wakes up to check ``Interrupt`` and its deadline.
    public static let pollInterval: Duration = .milliseconds(100)

    private let handle: UnsafeMutableRawPointer
    private let message: UnsafeMutablePointer<zmq_msg_t>
    // Held so the context outlives the socket: `zmq_ctx_term` blocks until every socket of the context is closed,
    // and Swift may end a local context's lifetime before a socket made from it.
    private let context: ZMQContext
    // The PAIR socket that receives this socket's monitor events (`monitorsPeer`), else nil.
    private let monitor: UnsafeMutableRawPointer?

    /// Creates a socket of `kind` in `context`.
    ///
    /// Wraps `zmq_socket`, and `zmq_socket_monitor` when `monitorsPeer` is set: libzmq then publishes this
    /// socket's connect, retry and disconnect events on a private inproc endpoint, read by a PAIR socket of the
    /// same context, so that ``peerEvents()`` can tell when the peer goes away.
    ///
    /// - Parameters:
    ///   - maxMessageSize: frames larger than this many bytes are refused by libzmq (the peer is disconnected),
    ///     so a misbehaving peer cannot make us allocate without bound.
    ///   - monitorsPeer: whether to watch the connections (before any ``connect(to:)``, so no event is missed).
    public init(context: ZMQContext, kind: Kind, maxMessageSize: Int64 = 1 << 30, monitorsPeer: Bool = false)
        throws(ZMQError)
    {
        let socket = try zmqSocketNew(context.handle, type: kind == .request ? zmqRequestType : zmqReplyType)
        var pair: UnsafeMutableRawPointer? = nil
        do {
            try zmqSetOption(socket, zmqLingerOption, Int32(0))
            try zmqSetOption(socket, zmqReceiveTimeoutOption, Int32(Self.pollInterval.milliseconds))
            try zmqSetOption(socket, zmqSendTimeoutOption, Int32(Self.pollInterval.milliseconds))
            try zmqSetOption(socket, zmqMaxMessageSizeOption, maxMessageSize)
            if monitorsPeer {
                // The socket's handle is unique while it lives, and inproc names are per context.
                let endpoint = "inproc://lumis-monitor-\(UInt(bitPattern: socket))"
                try zmqSocketMonitor(
                    socket, endpoint, events: Int32(zmqEventConnected | zmqEventConnectRetried | zmqEventDisconnected))
                pair = try zmqSocketNew(context.handle, type: zmqPairType)
                if let pair {
                    try zmqSetOption(pair, zmqLingerOption, Int32(0))
                    try zmqConnect(pair, endpoint)
                }
            }
        } catch {
            if let pair { zmqClose(pair) }
            zmqClose(socket)
            throw error
        }
        handle = socket
        monitor = pair
        self.context = context
        message = .allocate(capacity: 1)
        zmqMessageInit(message)
    }

    deinit {
        zmqMessageClose(message)
        message.deallocate()
        if let monitor {
            zmqSocketMonitorStop(handle)
            zmqClose(monitor)
        }
        zmqClose(handle)
    }

    /// The peer events reported since the last call, oldest first, without waiting; `[]` if not monitoring.
    public func peerEvents() -> [PeerEvent] {
        guard let monitor else { return [] }
        var events: [PeerEvent] = []
        while let code = zmqReceiveMonitorEvent(monitor) {
            switch code {
            case zmqEventConnected: events.append(.connected)
            case zmqEventConnectRetried: events.append(.connectRetried)
            case zmqEventDisconnected: events.append(.disconnected)
            default: break
            }
        }
        return events
    }

    /// Connects to `endpoint` (`tcp://host:port`, `ipc:///path`, `ipc://@abstract`).
    ///
    /// Wraps `zmq_connect`.
    public func connect(to endpoint: String) throws(ZMQError) {
        try zmqConnect(handle, endpoint)
    }

    /// Binds to `endpoint`.
    ///
    /// Wraps `zmq_bind`.
    public func bind(to endpoint: String) throws(ZMQError) {
        try zmqBind(handle, endpoint)
    }

    /// Sends `bytes` as one frame, waiting at most `timeout` for room.
    ///
    /// Wraps `zmq_send`.
    ///
    /// - Throws: ``WaitError`` on timeout or interrupt, ``ZMQError`` when libzmq fails.
    public func send(_ bytes: UnsafeRawBufferPointer, timeout: Duration) throws {
        var deadline = Deadline(timeout: timeout)
        while try !zmqSend(handle, bytes) {
            if Interrupt.isRequested { throw WaitError.interrupted }
            if deadline.hasPassed() { throw WaitError.timedOut }
        }
    }

    /// Waits at most `timeout` for the next frame and lends its bytes to `body`; they are invalid afterwards.
    ///
    /// Wraps `zmq_msg_recv`.
    ///
    /// An ``Interrupt`` request is honoured before any wait, so it is seen within one message however fast the
    /// peer answers.
    ///
    /// A multi-part message is not one frame: all its parts are read and dropped (so the REQ/REP turn stays in
    /// step) and ``MultipartMessage`` is thrown; `body` is not called.
    /// - Throws: ``WaitError`` on timeout or interrupt, ``MultipartMessage``, ``ZMQError`` when libzmq fails, or
    /// what `body` throws.
    public func receive<R>(timeout: Duration, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        // Checked before waiting too: with a peer that always answers at once no wait comes back empty, and a
        // signal that landed outside zmq_msg_recv (no EINTR) would otherwise never be noticed.
        if Interrupt.isRequested { throw WaitError.interrupted }
        var deadline = Deadline(timeout: timeout)
        while try !zmqReceive(handle, into: message) {
            if Interrupt.isRequested { throw WaitError.interrupted }
            if deadline.hasPassed() { throw WaitError.timedOut }
        }
        if zmqMoreFrames(message) {
            // Accepting the first part alone would let a peer that does not speak single frames pass unnoticed.
            var partCount = 1
            let drain = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
            defer { drain.deallocate() }
            zmqMessageInit(drain)
            defer { zmqMessageClose(drain) }
            repeat {
                guard try zmqReceive(handle, into: drain) else { break }
                partCount += 1
            } while zmqMoreFrames(drain)
            throw MultipartMessage(partCount: partCount)
        }
        return try body(zmqMessageBytes(message))
    }
}

/// The end of a bounded wait, fixed when the first `zmq_send`/`zmq_msg_recv` attempt comes back empty.
///
/// Almost every PPX send and receive completes at the first attempt, so the clock is read only once a wait has
/// actually begun (2 reads less per message in the engine's hot loop). libzmq returns empty-handed after one
/// ``ZMQSocket/pollInterval`` (or earlier on a signal), so that much of `timeout` is counted as already spent.
private struct Deadline {
    private let timeout: Duration
    private var end: ContinuousClock.Instant?

    init(timeout: Duration) { self.timeout = timeout }

    /// Whether the wait is over; the first call starts the clock.
    mutating func hasPassed() -> Bool {
        let now = ContinuousClock.now
        guard let end else {
            end = now.advanced(by: timeout - ZMQSocket.pollInterval)
            return timeout <= ZMQSocket.pollInterval
        }
        return now >= end
    }
}

extension Duration {
    /// The duration in whole milliseconds, rounded down and clamped to `Int32`.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        let total = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return Int(min(max(total, 0), Int64(Int32.max)))
    }
}
