import Foundation
import LumisCore
import LumisDistributed
import LumisSimulation
import LumisStorage

/// Prior and importance sampling (with the prior or a network as proposal): rank *r* runs trace indices
/// `world.share(of: traceCount)`, trace *i* on random stream *i*, and rank 0 appends the ranks' traces in index
/// order, so the merged store equals one process's.
extension InferenceRun {
    func runTraces(
        outputs: (any RunOutputs)?, progress: (@Sendable (RunProgress) -> Void)?,
        warning: (@Sendable (String) -> Void)?
    ) throws -> Outcome? {
        let observations = self.observations ?? ObservationSet()
        var network: (any NetworkProposal)?
        if case .importance(.network(let proposal)) = engine {
            try proposal.check(observations: observations)
            network = proposal
        }
        let (makeSimulator, workers) = try localSimulators()
        let seed = try agreedSeed(self.seed)
        let share = world.share(of: traceCount)
        let observationUse = makeObservationUse(observations, warning: warning)
        var local: (JobOutput, CompiledSummary?)?
        if !share.isEmpty {
            var configuration = TraceSampler.Configuration(
                mode: isPrior ? .prior : .posterior, traceCount: share.count, seed: seed, observations: observations,
                maxConsecutiveFailures: maxConsecutiveFailures)
            configuration.firstStream = UInt64(share.lowerBound)
            let collector = TraceCollector(
                total: share.count, isWeighted: !isPrior, network: network, observationUse: observationUse,
                progress: progress)
            var policy: @Sendable () -> any ProposalPolicy = { PriorProposal() }
            if let network {
                policy = network.policies(observations: observations, workers: workers, concurrency: world.coresPerRank)
            }
            let sampler = TraceSampler(configuration: configuration)
            let report = try sampler.run(workers: workers, makeSimulator: try makeSimulator(), policy: policy) {
                _, traces in try collector.append(traces)
            }
            local = collector.output(report: report)
        }
        let unused = try unusedOnAllRanks(share.isEmpty ? nil : observationUse.unused)
        guard let (output, counts) = try gather(local, hasCounts: network != nil) else { return nil }
        let posterior = output.posterior
        let report = output.report
        var metadata = PosteriorMetadata(
            engine: engine.name, seed: seed, model: report.modelName, observations: observations.values,
            failedTraces: report.discardedTraces, restarts: report.restarts)
        metadata.unusedObservations = unused ?? []
        var summary = posterior.summary(metadata: metadata)
        summary.ic = counts
        var notes = Self.seedNote(seed, given: self.seed)
        if report.discardedTraces > 0 || report.restarts > 0 {
            notes.append(
                "\(report.discardedTraces) trace attempts discarded and run again; \(report.restarts) simulator restarts"
            )
        }
        if let counts, counts.priorFallbackDraws > 0 {
            let listed = counts.priorFallbacks.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .prefix(10).map { "\($0.key) (\($0.value))" }
            notes.append(
                "\(counts.priorFallbackDraws) controlled draws at \(counts.priorFallbacks.count) addresses the network "
                    + "never saw were drawn from the prior: \(listed.joined(separator: ", "))")
        }
        if posterior.nanWeightCount > 0 {
            notes.append("\(posterior.nanWeightCount) traces had a NaN log weight and were left out of the weighting")
        }
        let written = try Self.write(outputs) { try $0.write(summary, posterior: posterior) }
        return Outcome(
            summary: summary, traces: output, chains: nil, seed: seed, notes: notes + written.notes,
            writtenPaths: written.paths)
    }

    private var isPrior: Bool {
        if case .prior = engine { return true }
        return false
    }

    /// This rank's simulator factory (made when called, so nothing starts before the checks) and worker count.
    private func localSimulators() throws -> (make: () throws -> @Sendable (Int) throws -> any Simulator, workers: Int)
    {
        switch simulators {
        case .source(let all):
            let (mine, workers) = try all.share(rank: world.rank, of: world.size, workers: workers)
            let timeout = self.timeout
            return ({ try mine.simulatorFactory(timeout: timeout) }, workers)
        case .inProcess(let make):
            return ({ make }, workers ?? 1)
        }
    }

    /// Gathers every rank's traces, counters and IC counts on rank 0, in rank order (so in trace-index order);
    /// `nil` on the other ranks.
    private func gather(
        _ local: (JobOutput, CompiledSummary?)?, hasCounts: Bool
    ) throws -> (JobOutput, CompiledSummary?)? {
        let weighting: Posterior.Weighting = isPrior ? .uniform : .importance
        let empty = JobOutput(store: TraceStore(), weighting: weighting, report: TraceSampler.Report())
        let output = local?.0 ?? empty
        let extra = local?.1?.serialized() ?? []
        // Rank 0 keeps its own traces: it sends only its counters.
        let bytes = output.serialized(extra: extra, includesStore: !world.isRoot)
        guard let parts = try world.gather(bytes) else { return nil }
        var merged = output
        var counts = local?.1
        for rank in 1..<parts.count {
            try Self.decodingPart(of: rank) { () throws(ByteReader.Malformed) in
                let extra = try merged.append(serialized: parts[rank])
                if hasCounts && !extra.isEmpty { try counts?.add(serialized: extra) }
            }
        }
        return (merged, counts)
    }
}
