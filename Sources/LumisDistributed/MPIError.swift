/// A failed MPI call.
public struct MPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The MPI error code.
    public var code: Int32
    /// The MPI function that failed.
    public var operation: String
    /// MPI's own text for the code.
    public var message: String

    /// A one-line message.
    public var description: String { "\(operation) failed: \(message) (MPI error \(code))" }
}
