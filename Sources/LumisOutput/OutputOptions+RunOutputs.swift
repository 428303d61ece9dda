public import LumisInference

/// The outputs an ``InferenceRun`` writes: the posterior file, the draws CSV and the NetCDF file of these options.
extension OutputOptions: RunOutputs {
    /// Whether `--out` was given.
    public var writesPosteriorFile: Bool { posterior != nil }

    /// Writes an importance-sampling or prior run's files with ``OutputWriters``.
    public func write(_ summary: PosteriorSummary, posterior: Posterior) throws -> [String] {
        try OutputWriters.write(summary, posterior: posterior, options: self)
    }

    /// Writes an MCMC run's files with ``OutputWriters``.
    public func write(_ summary: PosteriorSummary, chains: ChainSet) throws -> [String] {
        try OutputWriters.write(summary, chains: chains, options: self)
    }
}
