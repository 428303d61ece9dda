/// A transport or process fault while talking to a simulator: the trace in flight is lost.
///
/// Engines discard the partial trace and, when ``isRecoverable``, run the same trace again on a fresh
/// connection (restarting a launched simulator first).
public struct SimulatorFailure: Error, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// The simulator replied `Reset`, an unexpected message or bytes that do not decode.
        case outOfSync
        /// The launched simulator process exited.
        case processExited
        /// The simulator did not reply in time.
        case timedOut
        /// The socket monitor saw the connection drop, or be refused after the simulator had answered before.
        case disconnected
    }

    /// What went wrong.
    public var kind: Kind
    /// The endpoint of the simulator.
    public var endpoint: String
    /// Details for the message.
    public var detail: String
    /// Whether running the trace again may succeed.
    public var isRecoverable: Bool

    /// Creates a failure.
    public init(kind: Kind, endpoint: String, detail: String, isRecoverable: Bool) {
        self.kind = kind
        self.endpoint = endpoint
        self.detail = detail
        self.isRecoverable = isRecoverable
    }

    /// A one-line message naming the endpoint.
    public var description: String { "simulator at \(endpoint): \(detail)" }
}
