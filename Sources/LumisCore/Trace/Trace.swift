public import LumisDistributions
public import LumisTensor

/// Everything one execution of a simulator did: its random choices, observations, tags and result.
///
/// Entries are in execution order. A trace is reused between executions (``removeAll()`` keeps capacity), so
/// recording does not allocate once the buffers have grown.
public struct Trace: Sendable {
    /// What kind of statement produced an entry.
    public enum Kind: UInt8, Sendable {
        case sample, observe, tag
    }

    /// One recorded statement.
    public struct Entry: Sendable, SiteRecord {
        /// Where the statement was recorded.
        public var site: Site
        /// The prior (samples) or likelihood (observes); `nil` for tags.
        public var distribution: Distribution?
        /// The sampled, observed or tagged value.
        public var value: Tensor
        /// Summed log density of `value` under `distribution`; 0 for tags.
        public var logProb: Double

        /// Creates an entry.
        public init(
            kind: Kind, address: String, instance: Int, name: String, distribution: Distribution?, value: Tensor,
            logProb: Double, isControlled: Bool
        ) {
            self.site = Site(kind: kind, address: address, instance: instance, name: name, isControlled: isControlled)
            self.distribution = distribution
            self.value = value
            self.logProb = logProb
        }
    }

    /// The recorded statements in execution order.
    public var entries: [Entry] = []
    /// The simulator's return value, `nil` if it returned none.
    public var result: Tensor?
    /// The trace's log importance weight: `Σ log p(y)` over observations plus `Σ log p(x) − log q(x)` over
    /// samples drawn from a proposal `q` other than the prior (pyprob, docs/reference/pyprob-engine.md §1.7).
    public var logWeight: Double = 0
    /// `Σ log p(y)` over observations.
    public var logLikelihood: Double = 0
    /// `Σ log p(x)` over controlled samples.
    public var logPrior: Double = 0

    /// Creates an empty trace.
    public init() {}

    /// Empties the trace for reuse, keeping its storage.
    public mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
        result = nil
        logWeight = 0
        logLikelihood = 0
        logPrior = 0
    }

    /// The value of the last entry labelled `name`, as pyprob's `trace[name]`.
    ///
    /// - Complexity: O(*n*) in the number of entries.
    public subscript(name name: String) -> Tensor? {
        entries.last { $0.name == name }?.value
    }
}
