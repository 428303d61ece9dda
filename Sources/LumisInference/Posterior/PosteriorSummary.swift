public import LumisTensor

/// What an engine passes in about its run, recorded in the posterior file.
public struct PosteriorMetadata: Sendable, Equatable {
    /// The engine's name as on the command line (for example `"is"`, `"rmh"`).
    public var engine: String
    /// The run's seed, `nil` if the run was not seeded.
    public var seed: UInt64?
    /// The simulator's model name (from its handshake).
    public var model: String
    /// The observed values the run conditioned on, by observe name.
    public var observations: [String: Tensor]
    /// Executions that failed (simulator error, bad message) and produced no trace.
    public var failedTraces: Int
    /// Executions restarted after a failure.
    public var restarts: Int
    /// Given observations that no trace of the run observed (a misspelt name, or one the model never observes),
    /// sorted; under MPI, those no trace on any rank observed.
    public var unusedObservations: [String] = []

    /// Creates metadata.
    ///
    /// - Precondition: the counters are non-negative.
    public init(
        engine: String, seed: UInt64?, model: String, observations: [String: Tensor] = [:], failedTraces: Int = 0,
        restarts: Int = 0
    ) {
        precondition(failedTraces >= 0 && restarts >= 0, "Run counters must be non-negative")
        self.engine = engine
        self.seed = seed
        self.model = model
        self.observations = observations
        self.failedTraces = failedTraces
        self.restarts = restarts
    }
}

/// Everything a posterior file holds: run metadata, weighting diagnostics and per-variable statistics.
///
/// Build one with ``Posterior/summary(metadata:quantileLevels:)``, write it with ``write(toFile:)``, read it
/// back with ``init(contentsOfFile:)``, and print it with ``renderTable(maxElementsPerVariable:)``. The file
/// format is documented in `docs/posterior-format.md`.
public struct PosteriorSummary: Sendable, Equatable {
    /// The value of the file's `format` key.
    public static let formatName = "lumis-posterior"
    /// The file format version this build writes and reads.
    public static let formatVersion = 1

    /// What the engine passed in.
    public var metadata: PosteriorMetadata
    /// How traces were weighted.
    public var weighting: Posterior.Weighting
    /// The number of traces in the posterior, including those with zero or NaN weight.
    public var traceCount: Int
    /// Traces whose log weight was NaN or +∞, left out of the weighting.
    public var nanWeightCount: Int
    /// The effective sample size, `nil` if undefined.
    public var effectiveSampleSize: Double?
    /// The log marginal-likelihood estimate, `nil` if not estimated.
    public var logEvidence: Double?
    /// Statistics of each named sample or tag variable with defined statistics.
    public var variables: [String: VariableStatistics]
    /// Variables (names, `address__instance` keys, `(result)`) whose statistics are undefined because none of
    /// the traces holding them has positive weight; sorted.
    public var undefinedVariables: [String]
    /// Statistics of the simulator's result, `nil` if no trace returned one or they are undefined.
    public var result: VariableStatistics?
    /// Statistics of unnamed samples, keyed `address__instance`.
    public var addresses: [String: VariableStatistics]
    /// The MCMC section (chains, acceptance, restarts, chain states), `nil` for other engines.
    public var mcmc: MCMCSummary?
    /// One record per Markov chain, `nil` for runs without chains (importance and prior sampling).
    public var chains: [ChainRecord]?
    /// The inference-compilation section (proposed draws, prior fallbacks), `nil` for other engines.
    public var ic: CompiledSummary?

    /// Creates a summary from its parts.
    public init(
        metadata: PosteriorMetadata, weighting: Posterior.Weighting, traceCount: Int, nanWeightCount: Int,
        effectiveSampleSize: Double?, logEvidence: Double?, variables: [String: VariableStatistics],
        undefinedVariables: [String], result: VariableStatistics?, addresses: [String: VariableStatistics],
        mcmc: MCMCSummary? = nil
    ) {
        self.metadata = metadata
        self.weighting = weighting
        self.traceCount = traceCount
        self.nanWeightCount = nanWeightCount
        self.effectiveSampleSize = effectiveSampleSize
        self.logEvidence = logEvidence
        self.variables = variables
        self.undefinedVariables = undefinedVariables
        self.result = result
        self.addresses = addresses
        self.mcmc = mcmc
    }
}

extension Posterior {
    /// Summarises every variable of the posterior: named samples and tags, unnamed samples by address, and the
    /// result.
    ///
    /// - Parameters:
    ///   - metadata: what the engine passes in.
    ///   - quantileLevels: the quantile levels to record.
    /// - Returns: the summary; variables with undefined statistics are listed in
    ///   ``PosteriorSummary/undefinedVariables`` instead of failing the whole summary.
    /// - Complexity: O(*V · E · N* log *N*) for *V* variables of *E* elements.
    public func summary(
        metadata: PosteriorMetadata, quantileLevels: [Double] = Posterior.defaultQuantileLevels
    ) -> PosteriorSummary {
        var undefined: [String] = []
        func statisticsOrNote(_ selector: VariableSelector) -> VariableStatistics? {
            do {
                return try statistics(of: selector, quantileLevels: quantileLevels)
            } catch {
                undefined.append(selector.description)
                return nil
            }
        }
        var variables: [String: VariableStatistics] = [:]
        for name in store.variableNames { variables[name] = statisticsOrNote(.name(name)) }
        var addresses: [String: VariableStatistics] = [:]
        for selector in store.unnamedSampleSelectors { addresses[selector.description] = statisticsOrNote(selector) }
        var result: VariableStatistics?
        if store.hasResults { result = statisticsOrNote(.result) }
        return PosteriorSummary(
            metadata: metadata, weighting: weighting, traceCount: traceCount, nanWeightCount: nanWeightCount,
            effectiveSampleSize: effectiveSampleSize, logEvidence: logEvidence, variables: variables,
            undefinedVariables: undefined.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, result: result,
            addresses: addresses)
    }
}
