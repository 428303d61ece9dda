/// The draws of several Markov chains over simulator traces, with what each chain's sampler did.
///
/// Every chain's store holds its kept draws (after burn-in and thinning) in order, all weighted equally.
public struct ChainSet: Sendable {
    /// One store of kept draws per chain.
    public var chains: [TraceStore]
    /// What each chain's sampler did, parallel to `chains`.
    public var statistics: [ChainStatistics]
    /// Per chain, the log joint density of each kept draw: `Σ log p(x)` over its controlled samples plus
    /// `Σ log p(y)` over its observations (ArviZ's `lp`); NaN where unknown.
    public var logJoints: [[Double]]

    /// Creates a chain set.
    ///
    /// - Parameter logJoints: one value per kept draw of each chain; `nil` for NaN throughout.
    /// - Precondition: `chains.count == statistics.count`; `logJoints`, if given, matches `chains`' lengths.
    public init(chains: [TraceStore], statistics: [ChainStatistics], logJoints: [[Double]]? = nil) {
        precondition(chains.count == statistics.count, "one statistics record per chain")
        let lengths = chains.map(\.count)
        precondition(logJoints.map { $0.map(\.count) == lengths } ?? true, "one log joint per kept draw")
        self.chains = chains
        self.statistics = statistics
        self.logJoints = logJoints ?? lengths.map { [Double](repeating: .nan, count: $0) }
    }
}

/// Counters of one Markov chain's proposals.
public struct ChainStatistics: Sendable, Equatable {
    /// Proposals made (burn-in included).
    public var proposals = 0
    /// Proposals accepted.
    public var accepted = 0
    /// Proposals and acceptances by the chosen site's address (without instance number).
    public var proposalsByAddress: [String: Int] = [:]
    /// Acceptances by the chosen site's address.
    public var acceptedByAddress: [String: Int] = [:]
    /// Controlled samples whose value was reused from the current state, over all proposals.
    public var reusedSamples = 0
    /// Controlled samples over all proposals.
    public var controlledSamples = 0
    /// Simulator restarts during the chain.
    public var restarts = 0
    /// Proposals abandoned because the simulator failed, and run again.
    public var discardedProposals = 0

    /// Creates empty counters.
    public init() {}

    /// The fraction of proposals accepted, or `nil` before any proposal.
    public var acceptanceRate: Double? { proposals > 0 ? Double(accepted) / Double(proposals) : nil }
}
