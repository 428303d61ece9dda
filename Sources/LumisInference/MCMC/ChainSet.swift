/// The draws of several Markov chains over simulator traces, with what each chain's sampler did.
///
/// Every chain's store holds its kept draws (after burn-in and thinning) in order, all weighted equally.
public struct ChainSet: Sendable {
    /// One store of kept draws per chain.
    public var chains: [TraceStore]
    /// What each chain's sampler did, parallel to `chains`.
    public var statistics: [ChainStatistics]

    /// Creates a chain set.
    ///
    /// - Precondition: `chains.count == statistics.count`.
    public init(chains: [TraceStore], statistics: [ChainStatistics]) {
        precondition(chains.count == statistics.count, "one statistics record per chain")
        self.chains = chains
        self.statistics = statistics
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
