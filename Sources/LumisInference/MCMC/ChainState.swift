public import LumisCore
public import LumisTensor

/// Where a Markov chain stands: its current trace's controlled values and how many proposals it has made.
///
/// Saved in the posterior file's `mcmc.chain_states` (docs/posterior-format.md) so that a later run can resume
/// the chain (`lumis infer --resume`), or start a chain from a chosen trace (`--initial-trace`). A chain resumes
/// by re-running the simulator with these values at their (address, instance); as every proposal's random stream
/// is keyed by the chain and its step count, a resumed chain makes exactly the proposals the uninterrupted chain
/// would have made (for models without uncontrolled draws; uncontrolled values are drawn afresh on resuming, as
/// they are at every proposal).
public struct ChainState: Sendable, Equatable {
    /// One controlled sample of the chain's current trace: its site (always a controlled sample) and value.
    public struct Entry: Sendable, Equatable, SiteRecord {
        /// Where the sample was made: `kind == .sample`, `isControlled`.
        public var site: Site
        /// The value.
        public var value: Tensor

        /// Creates the entry of the controlled sample at (`address`, `instance`) named `name`.
        public init(address: String, instance: Int, name: String, value: Tensor) {
            self.init(
                site: Site(kind: .sample, address: address, instance: instance, name: name, isControlled: true),
                value: value)
        }

        /// Creates the entry of a controlled sample made at `site`.
        ///
        /// - Precondition: `site` is a controlled sample.
        public init(site: Site, value: Tensor) {
            precondition(site.kind == .sample && site.isControlled, "a chain state holds controlled samples only")
            self.site = site
            self.value = value
        }
    }

    /// Proposals the chain has made so far (burn-in included); the next proposal uses random stream
    /// `chain · 2⁴⁰ + steps`.
    public var steps: Int
    /// The controlled samples of the current trace, in execution order.
    public var entries: [Entry]

    /// Creates a state.
    ///
    /// - Precondition: `steps >= 0`.
    public init(steps: Int, entries: [Entry]) {
        precondition(steps >= 0, "steps must not be negative")
        self.steps = steps
        self.entries = entries
    }

    /// The state of a chain whose current trace is `trace`.
    public init(trace: Trace, steps: Int) {
        self.init(
            steps: steps,
            entries: trace.entries.filter { $0.kind == .sample && $0.isControlled }.map {
                Entry(site: $0.site, value: $0.value)
            })
    }

    /// A trace holding the saved values, for replaying (no distributions or densities).
    var replayTrace: Trace {
        var trace = Trace()
        for entry in entries {
            trace.entries.append(
                Trace.Entry(
                    kind: .sample, address: entry.address, instance: entry.instance, name: entry.name,
                    distribution: nil, value: entry.value, logProb: 0, isControlled: true))
        }
        return trace
    }
}
