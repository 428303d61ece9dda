public import LumisSimulation

/// What one process's share of an importance-sampling (or prior, or IC) run produced: the traces in index order
/// and the run's counters.
public struct JobOutput: Sendable {
    /// The finished traces.
    public var store: TraceStore
    /// How the traces are weighted.
    public var weighting: Posterior.Weighting
    /// Discarded attempts, restarts and the model name.
    public var report: TraceSampler.Report

    /// Creates an output from its parts.
    public init(store: TraceStore, weighting: Posterior.Weighting, report: TraceSampler.Report) {
        self.store = store
        self.weighting = weighting
        self.report = report
    }

    /// The weighted posterior over the traces.
    public var posterior: Posterior { Posterior(store: store, weighting: weighting) }
}
