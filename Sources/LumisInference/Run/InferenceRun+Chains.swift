import Foundation
import LumisCore
import LumisDistributed
import LumisSimulation
import LumisStorage

/// MCMC (`lmh`, `rmh`): chain *c* runs on the rank whose share of the chains holds *c*, with chain *c*'s random
/// streams, initial state and simulator, and rank 0 appends the ranks' chains in order, so the merged chains
/// equal one process's.
extension InferenceRun {
    func runChains(
        kernel: MetropolisHastings.Kernel, outputs: (any RunOutputs)?,
        progress: (@Sendable (RunProgress) -> Void)?, warning: (@Sendable (String) -> Void)?
    ) throws -> Outcome? {
        var seed = self.seed
        var observations = self.observations ?? ObservationSet()
        var chainCount = chains.count
        var initialStates: [ChainState?]?
        var isResumed = false
        var previousGuide: MCMCSummary.Guide?
        // Every rank reads --resume / --initial-trace itself (a shared file system), so only the seed is agreed.
        switch chains.start {
        case .prior: break
        case .resume(let path):
            isResumed = true
            let previous = try PosteriorSummary(contentsOfFile: path)
            guard let section = previous.mcmc else {
                throw InferenceRunError(.request, "--resume \(path): not an MCMC posterior file (no mcmc section)")
            }
            if let chainCount, chainCount != section.chains {
                throw InferenceRunError(
                    .request, "--resume \(path) holds \(section.chains) chains; --chains \(chainCount) differs")
            }
            chainCount = section.chains
            if let seed, let previousSeed = previous.metadata.seed, seed != previousSeed {
                throw InferenceRunError(
                    .request, "--resume \(path) continues seed \(previousSeed); --seed \(seed) differs")
            }
            seed = seed ?? previous.metadata.seed
            if self.observations == nil {
                observations = ObservationSet(previous.metadata.observations)
            } else if observations.values != previous.metadata.observations {
                throw InferenceRunError(
                    .request, "--resume \(path) was conditioned on other observations; omit --observe")
            }
            initialStates = section.chainStates
            previousGuide = section.guide
            try Self.checkResumedKernel(previousGuide, networkMove, path: path)
        case .initialTrace(let path):
            let file = try PosteriorSummary(contentsOfFile: path)
            let states = (file.mcmc?.chainStates ?? []).compactMap { $0 }
            guard !states.isEmpty else {
                throw InferenceRunError(.request, "--initial-trace \(path): the file holds no mcmc.chain_states")
            }
            initialStates = (0..<(chainCount ?? defaultChainCount)).map { chain in
                ChainState(steps: 0, entries: states[chain % states.count].entries)
            }
        }
        var guide: MCMCSummary.Guide?
        if let networkMove {
            // The checks of IC: the observations now, each simulator's model before its first trace.
            try networkMove.network.check(observations: observations)
            let record = networkMove.network.record
            if let previous = previousGuide?.network, case .resume(let path) = chains.start,
                let recorded = previous.checksum, let given = record.checksum, recorded != given
            {
                throw InferenceRunError(
                    .request,
                    "--resume \(path) ran with network \(previous.description); --network \(record.description) "
                        + "is another network")
            }
            guide = MCMCSummary.Guide(
                moveProbability: networkMove.probability ?? previousGuide?.moveProbability
                    ?? IndependenceMove.defaultProbability,
                network: record)
        }
        let count = chainCount ?? defaultChainCount
        var makeSimulator: @Sendable (Int) throws -> any Simulator
        switch simulators {
        case .source(let all):
            // Chain c opens endpoint c (or its own launched process) whichever rank runs it.
            makeSimulator = try all.share(rank: 0, of: 1, workers: count).source.simulatorFactory(timeout: timeout)
        case .inProcess(let make): makeSimulator = make
        }
        if let networkMove { makeSimulator = networkMove.network.checkedSimulators(makeSimulator) }
        let runSeed = try agreedSeed(seed)
        var configuration = MetropolisHastings.Configuration(
            kernel: kernel, steps: traceCount, burnIn: chains.burnIn ?? (isResumed ? 0 : Chains.defaultBurnIn),
            thin: chains.thin,
            seed: runSeed, observations: observations, initialStates: initialStates,
            maxConsecutiveFailures: maxConsecutiveFailures)
        if let guide, let network = networkMove?.network {
            configuration.independence = IndependenceMove(probability: guide.moveProbability) { observations in
                try network.traceProposal(observations: observations)
            }
        }
        let share = world.share(of: count)
        let observationUse = makeObservationUse(observations, warning: warning)
        var local: (output: MCMCOutput, failure: MCMCFailure?)?
        if !share.isEmpty {
            do {
                let output = try MetropolisHastings(configuration: configuration).run(
                    chainRange: share, makeSimulator: makeSimulator, progress: progress,
                    onTrace: { try observationUse.record($0) })
                local = (output, nil)
            } catch let error as MCMCFailure {
                // Refused observations end the run without files, as a usage error.
                if let refusal = error.underlying as? InferenceRunError { throw refusal }
                // So does a simulator the network does not fit (another model): no trace was kept.
                if let refusal = error.underlying as? any RunRefusal { throw refusal }
                local = (error.partial, error)
            }
        }
        let unused = try unusedOnAllRanks(share.isEmpty ? nil : observationUse.unused)
        // A rank whose chains stopped on an error that rank 0 reports (with every rank's draws) ends here.
        guard let (output, failure) = try gather(local) else { return nil }
        var notes = output.notes + Self.seedNote(runSeed, given: seed)
        var summary = Self.summary(
            of: output, configuration: configuration, chains: count, guide: guide, failure: failure)
        summary.metadata.unusedObservations = unused ?? []
        let totals = output.chainSet.statistics
        let restarts = totals.reduce(0) { $0 + $1.restarts }
        let discarded = totals.reduce(0) { $0 + $1.discardedProposals }
        if restarts > 0 || discarded > 0 {
            notes.append("\(discarded) proposals redone after simulator failures; \(restarts) simulator restarts")
        }
        let rates = totals.map { $0.acceptanceRate.map { String(format: "%.3f", $0) } ?? "-" }
        notes.append("acceptance rate per chain: \(rates.joined(separator: " "))")
        let written = try Self.write(outputs, isPartial: failure != nil) {
            try $0.write(summary, chains: output.chainSet)
        }
        return Outcome(
            summary: summary, traces: nil, chains: output, seed: runSeed, notes: notes + written.notes,
            writtenPaths: written.paths, failure: failure)
    }

    /// One chain per attached endpoint, else 4.
    var defaultChainCount: Int {
        guard case .source(.attach(let endpoints)) = simulators else { return Chains.defaultCount(endpoints: 0) }
        return Chains.defaultCount(endpoints: endpoints.count)
    }

    /// The posterior file's contents: the pooled draws' summary (with R-hat, bulk/tail ESS and MCSE per variable,
    /// and one record per chain) plus the `mcmc` section.
    static func summary(
        of output: MCMCOutput, configuration: MetropolisHastings.Configuration, chains: Int,
        guide: MCMCSummary.Guide?, failure: MCMCFailure?
    ) -> PosteriorSummary {
        let statistics = output.chainSet.statistics
        let metadata = PosteriorMetadata(
            engine: configuration.kernel.engineName, seed: configuration.seed, model: output.modelName,
            observations: configuration.observations.values,
            failedTraces: statistics.reduce(0) { $0 + $1.discardedProposals },
            restarts: statistics.reduce(0) { $0 + $1.restarts })
        var summary = output.chainSet.summary(metadata: metadata)
        var stepSize: Double?
        if case .randomWalk(let size) = configuration.kernel { stepSize = size }
        summary.mcmc = MCMCSummary(
            chains: chains, steps: configuration.steps, burnIn: configuration.burnIn, thin: configuration.thin,
            stepSize: stepSize, isComplete: failure == nil, note: failure.map { "stopped early: \($0)" },
            chainStates: output.finalStates, guide: guide)
        return summary
    }

    /// Refuses to resume chains with another kernel than they ran.
    ///
    /// Refused: a guided file without `--network`, a file of single-site moves with it, or another move probability (docs/mcmc.md, "Resuming guided chains"). The
    /// network itself is compared once read (its checksum).
    static func checkResumedKernel(
        _ previous: MCMCSummary.Guide?, _ move: NetworkMove?, path: String
    ) throws(InferenceRunError) {
        switch (previous, move) {
        case (nil, nil): return
        case (nil, .some):
            throw InferenceRunError(
                .request,
                "--resume \(path) ran single-site moves only; a resumed chain keeps its kernel: omit --network")
        case (.some(let previous), nil):
            throw InferenceRunError(
                .request,
                "--resume \(path) ran with network moves from \(previous.network.description); give --network again")
        case (.some(let previous), .some(let move)):
            if let probability = move.probability, probability != previous.moveProbability {
                throw InferenceRunError(
                    .request,
                    "--resume \(path) ran with --network-move-probability \(previous.moveProbability); "
                        + "--network-move-probability \(probability) differs")
            }
        }
    }

    /// Gathers every rank's chains on rank 0, in chain order; `nil` on the other ranks.
    ///
    /// A rank whose chains stopped on an error still sends what they did; rank 0 returns the first such error
    /// (lowest rank) holding the draws of all chains, as a single process does.
    private func gather(
        _ local: (output: MCMCOutput, failure: MCMCFailure?)?
    ) throws -> (output: MCMCOutput, failure: MCMCFailure?)? {
        let bytes =
            world.isRoot
            ? []
            : local.map { $0.output.serialized(failure: $0.failure.map { ($0.chain, "\($0.underlying)") }) } ?? []
        guard let parts = try world.gather(bytes) else { return nil }
        var output =
            local?.output ?? MCMCOutput(chainSet: ChainSet(chains: [], statistics: []), finalStates: [], modelName: "")
        var failure = local?.failure
        for rank in 1..<parts.count where !parts[rank].isEmpty {
            try Self.decodingPart(of: rank) { () throws(ByteReader.Malformed) in
                let (remote, remoteFailure) = try MCMCOutput.deserialize(parts[rank])
                output.chainSet.chains += remote.chainSet.chains
                output.chainSet.statistics += remote.chainSet.statistics
                output.chainSet.logJoints += remote.chainSet.logJoints
                output.finalStates += remote.finalStates
                output.notes += remote.notes
                if output.modelName.isEmpty { output.modelName = remote.modelName }
                if failure == nil, let (chain, message) = remoteFailure {
                    failure = MCMCFailure(
                        chain: chain, underlying: RemoteFailure(rank: rank, message: message), partial: remote)
                }
            }
        }
        failure?.partial = output
        return (output, failure)
    }
}
