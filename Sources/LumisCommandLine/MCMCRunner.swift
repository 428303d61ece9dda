import ArgumentParser
import Foundation
import LumisCore
import LumisDistributed
import LumisInference
import LumisOutput
import LumisTensor

/// The options of `lumis infer --engine lmh|rmh`.
struct MCMCOptions: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: "Number of chains, each with its own simulator (default: one per --simulator, or 4 with --launch).",
        transform: Count.positive)
    var chains: Int?

    @Option(
        parsing: .unconditional,
        help: "Proposals per chain before the first kept draw (default 1000; 0 with --resume).",
        transform: Count.nonNegative)
    var burnIn: Int?

    @Option(
        parsing: .unconditional, help: "Keep every T-th state after burn-in (default: 1).", transform: Count.positive)
    var thin: Int = 1

    @Option(help: "RMH step scale: multiplies each kernel's width (docs/mcmc.md).")
    var stepSize: Double = 1

    @Option(
        help: ArgumentHelp(
            "Start chain k from state k of this posterior file's chain_states (default: a draw from the prior).",
            valueName: "file"))
    var initialTrace: String?

    @Option(
        help: ArgumentHelp(
            "Continue the chains saved in this posterior file (same seed, chains and random streams; default: "
                + "new chains).",
            valueName: "file"))
    var resume: String?

    /// The chain count when neither `--chains` nor a resumed file sets it: one per `--simulator` endpoint, else 4
    /// (the rule `--chains`'s help states).
    static func defaultChains(endpoints: [String]) -> Int { endpoints.isEmpty ? 4 : endpoints.count }

    /// Whether any MCMC option was given.
    var isUsed: Bool {
        chains != nil || burnIn != nil || thin != 1 || stepSize != 1 || initialTrace != nil || resume != nil
    }

    func validate() throws {
        guard stepSize > 0, stepSize.isFinite else { throw ValidationError("--step-size must be a positive number.") }
        if initialTrace != nil && resume != nil {
            throw ValidationError("Give either --initial-trace or --resume, not both.")
        }
    }
}

/// Runs `lumis infer --engine lmh|rmh`: the chains, progress on stderr, then the posterior file (or a table).
struct MCMCRunner {
    /// The site proposal (`lmh` or `rmh`); an RMH step size is taken from `options`.
    let kernel: MetropolisHastings.Kernel
    let options: MCMCOptions
    let connection: ConnectionOptions
    let steps: Int
    let seed: UInt64?
    let observations: ObservationSet
    let hasObservations: Bool
    let outputOptions: OutputOptions
    let progressStyle: ProgressReporter.Style?
    let maxFailures: Int
    var distributed = DistributedInference(world: .single)

    func run() throws {
        try distributed.checkOutputs(outputOptions)
        var seed = self.seed
        var observations = self.observations
        var chainCount = options.chains
        var initialStates: [ChainState?]?
        if let path = options.resume {
            let previous = try PosteriorSummary(contentsOfFile: path)
            guard let section = previous.mcmc else {
                throw ValidationError("--resume \(path): not an MCMC posterior file (no mcmc section)")
            }
            if let chainCount, chainCount != section.chains {
                throw ValidationError("--resume \(path) holds \(section.chains) chains; --chains \(chainCount) differs")
            }
            chainCount = section.chains
            if let seed, let previousSeed = previous.metadata.seed, seed != previousSeed {
                throw ValidationError("--resume \(path) continues seed \(previousSeed); --seed \(seed) differs")
            }
            seed = seed ?? previous.metadata.seed
            if !hasObservations {
                observations = ObservationSet(previous.metadata.observations)
            } else if observations.values != previous.metadata.observations {
                throw ValidationError("--resume \(path) was conditioned on other observations; omit --observe")
            }
            initialStates = section.chainStates
        } else if let path = options.initialTrace {
            let file = try PosteriorSummary(contentsOfFile: path)
            let states = (file.mcmc?.chainStates ?? []).compactMap { $0 }
            guard !states.isEmpty else {
                throw ValidationError("--initial-trace \(path): the file holds no mcmc.chain_states")
            }
            let count = chainCount ?? defaultChains
            initialStates = (0..<count).map { chain in
                ChainState(steps: 0, entries: states[chain % states.count].entries)
            }
        }
        let chains = chainCount ?? defaultChains
        // Every rank reads --resume / --initial-trace itself (a shared file system), so only the seed is agreed.
        let runSeed = try distributed.agreedSeed(seed)
        let kernel: MetropolisHastings.Kernel =
            self.kernel == .lightweight ? .lightweight : .randomWalk(stepSize: options.stepSize)
        let burnIn = options.burnIn ?? (options.resume == nil ? 1_000 : 0)
        let configuration = MetropolisHastings.Configuration(
            kernel: kernel, steps: steps, burnIn: burnIn, thin: options.thin, seed: runSeed,
            observations: observations, initialStates: initialStates, maxConsecutiveFailures: maxFailures)
        let job = MCMCJob(
            source: try connection.simulators.source(workers: chains, countOption: "--chains").source,
            configuration: configuration,
            chains: chains, timeout: connection.timeoutDuration)
        Console.installInterruptHandlers()
        // Chain c runs on the rank whose share holds c, with chain c's streams and state, so the merged chains
        // equal a single process's.
        let share = distributed.share(of: chains)
        var part: DistributedInference.ChainsPart?
        var localFailure: MCMCFailure?
        if !share.isEmpty {
            let line =
                distributed.world.isRoot ? progressStyle.map { ProgressReporter(style: $0) } : nil
            do {
                let output = try job.run(chainRange: share) { line?.update($0) }
                part = .init(output: output)
            } catch let error as MCMCFailure {
                localFailure = error
                part = .init(output: error.partial, failure: (error.chain, "\(error.underlying)"))
            }
            line?.finish()
        }
        guard let (output, failure) = try distributed.gather(part, localFailure: localFailure) else {
            // This rank's chains stopped on an error that rank 0 reports (with every rank's draws).
            return
        }
        for note in output.notes { Console.note(note) }
        distributed.noteSeed(job.configuration.seed, given: seed)
        let summary = Self.summary(of: output, job: job, failure: failure)
        let totals = output.chainSet.statistics
        let restarts = totals.reduce(0) { $0 + $1.restarts }
        let discarded = totals.reduce(0) { $0 + $1.discardedProposals }
        if restarts > 0 || discarded > 0 {
            Console.note("\(discarded) proposals redone after simulator failures; \(restarts) simulator restarts")
        }
        let rates = totals.map { $0.acceptanceRate.map { String(format: "%.3f", $0) } ?? "-" }
        Console.note("acceptance rate per chain: \(rates.joined(separator: " "))")
        for path in try OutputWriters.write(summary, chains: output.chainSet, options: outputOptions) {
            Console.note(failure == nil ? "wrote \(path)" : "wrote the draws collected so far to \(path)")
        }
        if outputOptions.posterior == nil { print(summary.renderTable(), terminator: "") }
        if let failure { throw failure }
    }

    private var defaultChains: Int { MCMCOptions.defaultChains(endpoints: connection.endpoints) }

    /// The posterior file's contents: the pooled draws' summary plus the `mcmc` section.
    static func summary(of output: MCMCOutput, job: MCMCJob, failure: MCMCFailure?) -> PosteriorSummary {
        let statistics = output.chainSet.statistics
        let metadata = PosteriorMetadata(
            engine: job.configuration.kernel.engineName, seed: job.configuration.seed, model: output.modelName,
            observations: job.configuration.observations.values,
            failedTraces: statistics.reduce(0) { $0 + $1.discardedProposals },
            restarts: statistics.reduce(0) { $0 + $1.restarts })
        // Pooled statistics plus R-hat, bulk/tail ESS and MCSE per variable, and one record per chain.
        var summary = output.chainSet.summary(metadata: metadata)
        var stepSize: Double?
        if case .randomWalk(let size) = job.configuration.kernel { stepSize = size }
        summary.mcmc = MCMCSummary(
            chains: job.chains, steps: job.configuration.steps, burnIn: job.configuration.burnIn,
            thin: job.configuration.thin, stepSize: stepSize, isComplete: failure == nil,
            note: failure.map { "stopped early: \($0)" }, chainStates: output.finalStates)
        return summary
    }
}
