public import LumisCore

/// A ``ModelError`` (a deterministic fault in what the simulator sent) from the simulator at `endpoint`.
///
/// Not recoverable: the same trace would fail the same way. The message names the endpoint, so that with several
/// attached simulators the author knows which one to look at.
public struct SimulatorModelError: Error, Equatable, CustomStringConvertible {
    /// The simulator's endpoint.
    public var endpoint: String
    /// What was wrong with the statement.
    public var error: ModelError

    /// Creates the error.
    public init(endpoint: String, error: ModelError) {
        self.endpoint = endpoint
        self.error = error
    }

    /// A one-line message naming the endpoint and the statement.
    public var description: String { "simulator at \(endpoint): \(error)" }
}
