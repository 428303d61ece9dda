/// Why an ``InferenceRun`` could not run or finish, other than a simulator's or engine's own error.
public struct InferenceRunError: Error, Equatable, CustomStringConvertible {
    /// What kind of problem.
    public enum Kind: Sendable, Equatable {
        /// The request contradicts itself or its inputs (a resumed file, the observations a network needs, with
        /// ``InferenceRun/rejectsUnusedObservations`` an observation the first trace did not observe): a usage
        /// error, found before any output is written.
        case request
        /// The ranks of an MPI launch could not agree or merge.
        case distributed
    }

    /// What kind of problem.
    public var kind: Kind
    /// One line naming what and where.
    public var description: String

    /// Creates an error.
    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
