/// Convergence diagnostics of one variable over several chains, elementwise for tensor values.
///
/// Arrays hold one number per element, row-major; NaN where a diagnostic is undefined (see
/// ``ConvergenceDiagnostics``).
public struct ChainDiagnostics: Sendable, Equatable {
    /// The chains the diagnostics were computed from.
    public var chainCount: Int
    /// The draws per chain used (the shortest chain's length; longer chains are cut to it).
    public var drawsPerChain: Int
    /// Rank-normalised split R-hat.
    public var rHat: [Double]
    /// Bulk effective sample size.
    public var essBulk: [Double]
    /// Tail effective sample size.
    public var essTail: [Double]
    /// Monte Carlo standard error of the mean.
    public var mcseMean: [Double]

    /// Creates diagnostics from their parts.
    public init(
        chainCount: Int, drawsPerChain: Int, rHat: [Double], essBulk: [Double], essTail: [Double],
        mcseMean: [Double]
    ) {
        self.chainCount = chainCount
        self.drawsPerChain = drawsPerChain
        self.rHat = rHat
        self.essBulk = essBulk
        self.essTail = essTail
        self.mcseMean = mcseMean
    }
}

extension DrawTable {
    /// The diagnostics of column `column`, or `nil` if some draw lacks the variable (a partial variable has no
    /// chain-by-draw array to diagnose) or the table has no draws.
    ///
    /// Chains longer than the shortest are cut to its length.
    public func diagnostics(ofColumn column: Int) -> ChainDiagnostics? {
        let data = columns[column]
        guard data.presentCount == drawCount, data.elementCount > 0, let draws = chainLengths.min(), draws > 0
        else { return nil }
        var result = ChainDiagnostics(
            chainCount: chainLengths.count, drawsPerChain: draws, rHat: [], essBulk: [], essTail: [], mcseMean: [])
        for element in 0..<data.elementCount {
            let series = chains(ofColumn: column, element: element).map { Array($0.prefix(draws)) }
            result.rHat.append(ConvergenceDiagnostics.splitRHat(series) ?? .nan)
            result.essBulk.append(ConvergenceDiagnostics.bulkEffectiveSampleSize(series) ?? .nan)
            result.essTail.append(ConvergenceDiagnostics.tailEffectiveSampleSize(series) ?? .nan)
            result.mcseMean.append(ConvergenceDiagnostics.meanStandardError(series) ?? .nan)
        }
        return result
    }
}

extension ChainStatistics {
    /// The fraction of controlled samples whose value was reused from the current state, or `nil` before any.
    public var reuseRate: Double? {
        controlledSamples > 0 ? Double(reusedSamples) / Double(controlledSamples) : nil
    }

    /// The fraction of proposals at `address` accepted, or `nil` if none was made there.
    public func acceptanceRate(at address: String) -> Double? {
        guard let proposals = proposalsByAddress[address], proposals > 0 else { return nil }
        return Double(acceptedByAddress[address] ?? 0) / Double(proposals)
    }
}

/// One chain's record in a posterior file: its kept draws and its sampler's counters.
public struct ChainRecord: Sendable, Equatable {
    /// The kept draws (after burn-in and thinning).
    public var draws: Int
    /// The sampler's counters.
    public var statistics: ChainStatistics

    /// Creates a record.
    public init(draws: Int, statistics: ChainStatistics) {
        self.draws = draws
        self.statistics = statistics
    }
}

extension ChainSet {
    /// Every chain's kept draws, in chain order, with equal weights.
    public var pooledPosterior: Posterior {
        var pooled = TraceStore()
        for chain in chains { pooled.append(contentsOf: chain) }
        return Posterior(store: pooled, weighting: .uniform)
    }

    /// Summarises the pooled draws of all chains (uniform weights) and adds the convergence diagnostics of
    /// every variable and one ``ChainRecord`` per chain.
    ///
    /// - Parameters:
    ///   - metadata: what the engine passes in.
    ///   - quantileLevels: the quantile levels to record.
    /// - Returns: the summary; variables that some draw lacks get statistics but no diagnostics.
    public func summary(
        metadata: PosteriorMetadata, quantileLevels: [Double] = Posterior.defaultQuantileLevels
    ) -> PosteriorSummary {
        var summary = pooledPosterior.summary(metadata: metadata, quantileLevels: quantileLevels)
        // The importance-sampling ESS of equally weighted draws is just their count: meaningless for correlated
        // chains, whose ESS is per variable (ess_bulk, ess_tail).
        summary.effectiveSampleSize = nil
        summary.addDiagnostics(from: DrawTable(chains: self))
        summary.chains = zip(chains, statistics).map { ChainRecord(draws: $0.count, statistics: $1) }
        return summary
    }
}

extension PosteriorSummary {
    /// Attaches the diagnostics of each of `table`'s columns to the variable with the same label.
    public mutating func addDiagnostics(from table: DrawTable) {
        for (index, column) in table.columns.enumerated() {
            let diagnostics = table.diagnostics(ofColumn: index)
            switch column.selector {
            case .name(let name): variables[name]?.diagnostics = diagnostics
            case .address: addresses[column.label]?.diagnostics = diagnostics
            case .result: result?.diagnostics = diagnostics
            }
        }
    }
}
