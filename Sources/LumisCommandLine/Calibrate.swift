import ArgumentParser
import Foundation
import LumisCompilation
import LumisCore
import LumisDistributed
import LumisInference
import LumisOutput
import LumisSimulation
import LumisStorage
import LumisTransport

extension LumisCommand {
    struct Calibrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check an engine by simulation-based calibration: is its posterior right on average?",
            discussion: """
                For each of --events events, draws a true trace from the prior (observations drawn from their \
                likelihood), runs the engine on its observations with --traces traces, and records where every \
                scalar latent's truth falls in the weighted posterior (PIT value), whether it lies in the central \
                50% and 90% intervals, and for a Categorical the posterior probability of the true class. A \
                calibrated engine has uniform PIT values and coverages near 0.5 and 0.9; 'lumis summary FILE' \
                flags latents whose coverage leaves its binomial 4-sigma band or whose KS p-value is below 0.001.

                With --engine lmh or rmh each event runs --chains chains (each on its own simulator, so a worker \
                needs that many) of --burn-in plus --traces proposals, keeping every --thin-th state, as lumis \
                infer does; the posterior is the kept draws with equal weights and the event's ESS the smallest \
                bulk ESS over its latents. Thin to about the ESS: correlated draws bias SBC.

                With --strict, a flagged latent makes the exit status 2 (the file is written either way), so a CI \
                pipeline can fail on it.

                SIGINT or SIGTERM (one process) writes the events finished so far as a file marked incomplete; \
                --resume FILE with the same options runs the rest, and the result equals an uninterrupted run. \
                --resume with a larger --events extends a complete calibration the same way.

                Event e's truth is trace e of random stream e of --seed (trace e of 'lumis dataset --seed S'); \
                its engine seed and PIT variates come from stream 2^63 + e. The file does not depend on \
                --workers or MPI ranks. See docs/calibration.md.

                Examples:
                  lumis calibrate --launch 'simulators/build/bin/gum {endpoint}' --engine is \\
                      --events 400 --traces 200 --seed 1 --out calibration.json
                  lumis calibrate --launch 'simulators/build/bin/gum {endpoint}' --engine ic \\
                      --network gum.lumisnet --events 200 --traces 100 --workers 2 --out ic-calibration.json
                  lumis calibrate --launch 'simulators/build/bin/gum {endpoint}' --engine rmh --chains 2 \\
                      --burn-in 100 --traces 200 --thin 5 --events 200 --seed 1 --out rmh-calibration.json
                  lumis summary calibration.json
                  lumis plot calibration.json --out calibration-plots/
                """)

        @OptionGroup var connection: ConnectionOptions

        enum Engine: String, ExpressibleByArgument, CaseIterable {
            case prior, `is`, ic, lmh, rmh
            /// Whether this is an MCMC engine (chains per event).
            var isMCMC: Bool { self == .lmh || self == .rmh }
        }

        @Option(
            help: """
                The engine under test: prior (prior sampling), is (importance sampling), ic (importance sampling \
                with the proposals of a network from lumis train; needs --network), lmh or rmh (Metropolis-Hastings; \
                with --network, guided by its proposals).
                """)
        var engine: Engine = .is

        @Option(
            help: ArgumentHelp(
                "Inference network file (from lumis train) for --engine ic, or to guide lmh and rmh (default: none).",
                valueName: "file"))
        var network: String?

        @Option(
            name: .customLong("events"), parsing: .unconditional, help: "Number of simulated events.",
            transform: Count.positive)
        var eventCount: Int

        @Option(
            name: .customLong("traces"), parsing: .unconditional,
            help: "Traces the engine runs per event (lmh/rmh: proposals per chain after burn-in).",
            transform: Count.positive)
        var traceCount: Int

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp(
                "Number of simulators run in parallel, each taking whole events (default: one per --simulator, "
                    + "else 1)."),
            transform: Count.positive)
        var workers: Int?

        @OptionGroup(title: "MCMC (lmh, rmh)") var mcmc: MCMCOptions

        @Flag(
            help: """
                Exit with status 2 when any latent is flagged as miscalibrated (for CI pipelines; the file is \
                written either way).
                """)
        var strict = false

        @Option(help: "Random seed (default: drawn at random and printed to stderr).")
        var seed: UInt64?

        @Option(help: ArgumentHelp("Write the calibration to this JSON file.", valueName: "file"))
        var out: String

        @Option(
            help: ArgumentHelp(
                "Continue (or extend to --events) the calibration in this file, run with the same options "
                    + "(default: a new calibration).",
                valueName: "file"))
        var resume: String?

        @OptionGroup var runOptions: RunOptions

        func validate() throws {
            if engine == .ic && network == nil { throw ValidationError("--engine ic needs --network FILE.") }
            if network != nil && engine != .ic && !engine.isMCMC {
                throw ValidationError("--network applies to --engine ic, lmh or rmh.")
            }
            if !engine.isMCMC && (mcmc.isUsed || mcmc.networkMoveProbability != nil) {
                throw ValidationError(
                    "--chains, --burn-in, --thin, --step-size and --network-move-probability apply to --engine lmh "
                        + "or rmh.")
            }
            if mcmc.networkMoveProbability != nil && network == nil {
                throw ValidationError("--network-move-probability applies to --engine lmh or rmh with --network.")
            }
            do {
                try MemoryBudget.check(
                    count: traceCount, bytesEach: TraceStore.minimumBytesPerTrace, what: "--traces \(traceCount)")
            } catch {
                throw ValidationError(error.description)
            }
            if connection.launch == nil && !connection.endpoints.isEmpty && !Communicator.isLaunchedByMPI() {
                _ = try simulators(rank: 0, of: 1)
            }
        }

        /// Simulators per worker: one per chain for lmh and rmh.
        private var simulatorsPerWorker: Int {
            engine.isMCMC ? mcmc.chains ?? InferenceRun.Chains.defaultCount(endpoints: 0) : 1
        }

        /// This rank's simulators and how many workers drive them (each with ``simulatorsPerWorker`` of them).
        private func simulators(rank: Int, of ranks: Int) throws -> (source: SimulatorSource, workers: Int) {
            let perWorker = simulatorsPerWorker
            guard perWorker > 1 else {
                return try connection.simulators.source(workers: workers, rank: rank, of: ranks)
            }
            let asked = workers.map { $0 * perWorker } ?? (connection.launch != nil ? perWorker : nil)
            let (source, count) = try connection.simulators.source(
                workers: asked, rank: rank, of: ranks, countOption: "--workers × --chains =")
            guard count % perWorker == 0 else {
                throw ValidationError(
                    "--engine \(engine.rawValue) runs --chains \(perWorker) simulators per worker: give a multiple of "
                        + "\(perWorker) --simulator endpoints (per rank); got \(count).")
            }
            return (source, count / perWorker)
        }

        func run() throws {
            let world = try Communicator.world()
            try checkOutput(world: world)
            let previous = try resume.map(Self.readPrevious)
            let proposal = try network.map(readNetwork)
            let inferenceEngine: InferenceRun.Engine
            switch engine {
            case .prior: inferenceEngine = .prior
            case .is: inferenceEngine = .importanceSampling
            case .ic:
                guard let proposal else { throw ValidationError("--engine ic needs --network FILE.") }
                inferenceEngine = .importance(proposal: .network(proposal))
            case .lmh: inferenceEngine = .lmh
            case .rmh: inferenceEngine = .rmh(stepSize: mcmc.stepSize)
            }
            // What the file records of the engine's options, defaults written as used.
            var settings = CalibrationReport.Settings(network: proposal?.record)
            if engine.isMCMC {
                settings.chains = simulatorsPerWorker
                settings.burnIn = mcmc.burnIn ?? InferenceRun.Chains.defaultBurnIn
                settings.thin = mcmc.thin
                if engine == .rmh { settings.stepSize = mcmc.stepSize }
                if proposal != nil {
                    settings.networkMoveProbability = mcmc.networkMoveProbability ?? IndependenceMove.defaultProbability
                }
            }
            let runSeed = try seed ?? previous?.seed ?? world.broadcast(UInt64.random(in: 0...UInt64.max))
            if let previous {
                try check(previous, engine: inferenceEngine.name, seed: runSeed, settings: settings)
                guard previous.events <= eventCount else {
                    throw ValidationError(
                        "--resume \(resume ?? ""): it holds \(previous.events) events, more than --events "
                            + "\(eventCount); give at least \(previous.events)")
                }
                guard previous.events < eventCount else {
                    // Nothing to run: the file already holds the events asked for.
                    var complete = previous
                    complete.requestedEvents = nil
                    if world.isRoot {
                        try complete.write(toFile: out)
                        Console.note("\(resume ?? "") holds all \(eventCount) events; wrote \(out)")
                    }
                    return
                }
            }
            let first = previous?.events ?? 0
            let share = world.share(of: eventCount - first)
            let (source, workers) = try simulators(rank: world.rank, of: world.size)
            var calibration = Calibration(
                eventCount: eventCount, tracesPerEvent: traceCount, seed: runSeed, workers: workers,
                maxConsecutiveFailures: runOptions.maxFailures)
            if engine.isMCMC {
                calibration.chains = mcmc.settings()
                if let proposal, let probability = settings.networkMoveProbability {
                    calibration.networkMove = InferenceRun.NetworkMove(network: proposal, probability: probability)
                }
            }
            Console.installInterruptHandlers()
            let line = runOptions.progressReporter(isRoot: world.isRoot)
            let local: Calibration.Output
            do {
                defer { line?.finish() }
                local = try calibration.run(
                    events: (first + share.lowerBound)..<(first + share.upperBound), engine: inferenceEngine,
                    makeSimulator: try source.simulatorFactory(timeout: connection.timeoutDuration),
                    progress: { line?.update($0) }, isInterrupted: { Interrupt.isRequested })
            } catch let error as CompiledInferenceError {
                throw ValidationError(error.description)
            } catch let mismatch as NetworkMismatch {
                throw NetworkMismatchError(description: "--network \(network ?? ""): \(mismatch)")
            }
            var report =
                previous
                ?? CalibrationReport(
                    engine: inferenceEngine.name, model: local.modelName, seed: runSeed, tracesPerEvent: traceCount,
                    events: [], settings: settings)
            report.requestedEvents = nil
            if local.isInterrupted {
                // One process: keep the finished prefix (ranks would need a collective a signal may have cut).
                if !world.usesMPI && !local.events.isEmpty {
                    report.append(local.events)
                    report.requestedEvents = eventCount
                    try report.write(toFile: out)
                    Console.note(
                        "interrupted after \(report.events) of \(eventCount) events: wrote \(out); continue with "
                            + "--resume \(out) and the same options")
                }
                throw CancellationError()
            }
            guard let output = try gather(local, world: world) else { return }
            if let previous, output.modelName != previous.model {
                throw ValidationError(
                    "--resume \(resume ?? ""): its events ran on model '\(previous.model.escapedForMessage)'; this "
                        + "simulator is '\(output.modelName.escapedForMessage)'")
            }
            if previous == nil { report.model = output.modelName }
            report.append(output.events)
            if seed == nil && previous == nil {
                Console.note("seed \(runSeed) (drawn at random; --seed \(runSeed) repeats the run)")
            }
            try report.write(toFile: out)
            let flagged = report.variables.values.count { !$0.flags.isEmpty }
            Console.note(
                flagged == 0
                    ? "no latent flagged; median ESS \(String(format: "%.1f", report.medianEffectiveSampleSize)); wrote \(out)"
                    : "MISCALIBRATED: \(flagged) of \(report.variables.count) latents flagged (lumis summary \(out)); "
                        + "wrote \(out)")
            if strict && report.isMiscalibrated { throw ExitCode(2) }
        }

        /// The calibration file of `--resume`, read before any simulator starts.
        private static func readPrevious(_ path: String) throws -> CalibrationReport {
            do {
                return try CalibrationReport(contentsOfFile: path)
            } catch {
                throw ValidationError("--resume \(error)")
            }
        }

        /// Refuses to continue `previous` with other options than it ran with: the result would not be one
        /// calibration.
        private func check(
            _ previous: CalibrationReport, engine name: String, seed: UInt64, settings: CalibrationReport.Settings
        ) throws {
            func refuse(_ what: String, _ recorded: String, _ given: String) throws {
                throw ValidationError(
                    "--resume \(resume ?? ""): it ran with \(what) \(recorded), this run has \(given); give the same "
                        + "options to continue it")
            }
            if previous.engine != name { try refuse("--engine", previous.engine, name) }
            if previous.seed != seed { try refuse("--seed", "\(previous.seed)", "\(seed)") }
            if previous.tracesPerEvent != traceCount {
                try refuse("--traces", "\(previous.tracesPerEvent)", "\(traceCount)")
            }
            // The network is identified by its checksum: a renamed or moved file is the same network.
            var recorded = previous.settings
            var given = settings
            recorded.network?.file = nil
            given.network?.file = nil
            if recorded != given {
                try refuse("settings", previous.settings.description ?? "-", settings.description ?? "-")
            }
        }

        /// The network of `--network` at `path`, read now so that a bad file is one line before any simulator
        /// starts.
        private func readNetwork(_ path: String) throws -> InferenceNetworkProposal {
            do {
                return try InferenceNetworkProposal(readingFile: path, batchesProposals: !engine.isMCMC)
            } catch {
                throw ValidationError("--network: \(error)")
            }
        }

        /// Checks on rank 0 that `--out` can be written, before any simulator starts; if not, rank 0 throws (one
        /// line) and the other ranks wait for the launch to end.
        private func checkOutput(world: Communicator) throws {
            var problem = ""
            if world.isRoot {
                do {
                    try OutputOptions(posterior: out).check()
                } catch {
                    problem = "\(error)"
                }
            }
            let verdict = try world.broadcast(Array(problem.utf8))
            guard !verdict.isEmpty else { return }
            if world.isRoot { throw ValidationError(problem) }
            try world.barrier()
            throw ValidationError(String(decoding: verdict, as: UTF8.self))
        }

        /// Gathers the ranks' event records on rank 0, in rank (so event) order; `nil` on other ranks.
        private func gather(_ local: Calibration.Output, world: Communicator) throws -> Calibration.Output? {
            var writer = ByteWriter()
            if !world.isRoot {
                writer.write(local.modelName)
                writer.write(local.events.count)
                for event in local.events { event.serialized(into: &writer) }
            }
            guard let parts = try world.gather(writer.bytes) else { return nil }
            var merged = local
            for rank in 1..<parts.count {
                try Self.decodingPart(of: rank) { () throws(ByteReader.Malformed) in
                    var reader = ByteReader(parts[rank])
                    let model = try reader.readString("model name")
                    if merged.modelName.isEmpty { merged.modelName = model }
                    for _ in 0..<(try reader.readCount("events", itemSize: 16)) {
                        merged.events.append(try CalibrationEvent(from: &reader))
                    }
                    try reader.expectEnd("rank \(rank)'s calibration events")
                }
            }
            return merged
        }

        /// Runs `body`, turning a decoding failure into an error naming the rank whose bytes were bad.
        private static func decodingPart(of rank: Int, _ body: () throws(ByteReader.Malformed) -> Void) throws {
            do {
                try body()
            } catch {
                throw CalibrationError(description: "the events rank \(rank) sent are malformed: \(error.description)")
            }
        }
    }
}
