/// A failure met on some rank of an MPI launch, reported by rank 0.
public struct RemoteFailure: Error, CustomStringConvertible {
    /// The rank that met it.
    public var rank: Int
    /// Its message.
    public var message: String

    /// Creates a failure of `rank`.
    public init(rank: Int, message: String) {
        self.rank = rank
        self.message = message
    }

    /// The message and the rank.
    public var description: String { "\(message) (on rank \(rank))" }
}
