import ArgumentParser
import Foundation
import LumisCompilation
import LumisCore
import LumisDistributed
import LumisInference
import LumisOutput
import LumisSimulation

extension LumisCommand {
    struct Infer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a simulator many times and write the (weighted) posterior.",
            discussion: """
                Examples:
                  lumis infer --launch 'simulators/build/bin/gum {endpoint}' \\
                      --observe obs0=8 --observe obs1=9 --traces 20000 --out posterior.json
                  lumis infer --simulator tcp://127.0.0.1:5555 --engine prior --traces 1000
                  lumis infer --launch 'simulators/build/bin/gum {endpoint}' \\
                      --observe obs0=8 --observe obs1=9 \\
                      --engine rmh --chains 4 --burn-in 1000 --traces 5000 --out chains.json
                  lumis infer --launch 'simulators/build/bin/gum {endpoint}' \\
                      --engine rmh --traces 5000 --resume chains.json --out more.json

                With --engine lmh or rmh, --traces is the number of proposals per chain after burn-in; every \
                chain keeps the state after each --thin-th of them. See docs/mcmc.md.

                Under mpirun or srun the traces (or chains) are split over the ranks, each with its own \
                simulators, and rank 0 writes one posterior equal to a single-process run's. See \
                docs/distributed.md.
                """)

        @OptionGroup var connection: ConnectionOptions

        enum Engine: String, ExpressibleByArgument, CaseIterable {
            case prior, `is`, lmh, rmh, ic
            /// Whether this is an MCMC engine (chains instead of workers).
            var isMCMC: Bool { self == .lmh || self == .rmh }
        }

        @Option(
            help: """
                Inference engine: prior (prior sampling), is (importance sampling), lmh (lightweight \
                Metropolis-Hastings), rmh (random-walk Metropolis-Hastings) or ic (importance sampling with \
                the proposals of a network trained by lumis train; needs --network).
                """)
        var engine: Engine = .is

        @Option(
            name: .customLong("traces"), parsing: .unconditional,
            help: "Number of traces (lmh/rmh: proposals per chain after burn-in; default: 1000).",
            transform: Count.positive)
        var traceCount = 1_000

        @Option(
            parsing: .unconditional,
            help: "Number of simulators run in parallel (prior, is; default: one per --simulator, else 1).",
            transform: Count.positive)
        var workers: Int?

        @OptionGroup(title: "MCMC (lmh, rmh)") var mcmc: MCMCOptions

        @OptionGroup(title: "MCMC (lmh, rmh)") var chainStart: ChainStartOptions

        @OptionGroup var observed: ObservationOptions

        @Flag(
            help: """
                Make an observation the simulator's first trace does not observe an error (default: a warning; the \
                posterior file lists observations no trace observed).
                """)
        var strictObservations = false

        @Option(help: "Random seed (default: drawn at random and printed to stderr with the results).")
        var seed: UInt64?

        @Option(
            help: ArgumentHelp(
                "Write the posterior to this JSON file (default: print a table to stdout).", valueName: "file"))
        var out: String?

        @Option(
            help: ArgumentHelp(
                "Write every draw to this CSV file (chain, draw, weight, log_weight, a column per variable element; "
                    + "default: none).",
                valueName: "file"))
        var drawsCSV: String?

        @Option(
            name: .customLong("netcdf"),
            help: ArgumentHelp(
                "Write an ArviZ InferenceData NetCDF file (is, ic: posterior is an equally weighted resample; "
                    + "the weighted draws are in weighted_posterior; default: none). See docs/outputs.md.",
                valueName: "file"))
        var netCDF: String?

        @Option(
            help: ArgumentHelp(
                "Inference network file (from lumis train) for --engine ic; with lmh or rmh, its proposals also make "
                    + "whole-trace independence moves, accepted with the exact Metropolis-Hastings ratio (see "
                    + "docs/mcmc.md; default: none).",
                valueName: "file"))
        var network: String?

        @Flag(
            inversion: .prefixedNo,
            help: "With --engine ic and several workers, run the workers' LSTM steps as one batch.")
        var batchProposals = true

        @OptionGroup var runOptions: RunOptions

        func validate() throws {
            if !engine.isMCMC {
                guard !mcmc.isUsed && !chainStart.isUsed else {
                    throw ValidationError(
                        "--chains, --burn-in, --thin, --step-size, --initial-trace and --resume "
                            + "apply to --engine lmh or rmh.")
                }
            } else if workers != nil {
                throw ValidationError("MCMC runs one simulator per chain: use --chains instead of --workers.")
            }
            if engine == .ic && network == nil { throw ValidationError("--engine ic needs --network FILE.") }
            if network != nil && engine != .ic && !engine.isMCMC {
                throw ValidationError("--network applies to --engine ic, lmh or rmh.")
            }
            if mcmc.networkMoveProbability != nil && (network == nil || !engine.isMCMC) {
                throw ValidationError("--network-move-probability applies to --engine lmh or rmh with --network.")
            }
            try checkMemory()
            // Checked here rather than in run() so that the mistake is reported as a usage error before any work.
            // Under MPI the ranks are known only in run().
            if !engine.isMCMC && connection.launch == nil && !connection.endpoints.isEmpty
                && !Communicator.isLaunchedByMPI()
            {
                _ = try connection.simulators.source(workers: workers)
            }
        }

        /// Refuses, before any simulator starts, a run whose traces cannot fit in memory (one line, exit 64).
        private func checkMemory() throws {
            do {
                try request.checkMemory(what: "--traces \(traceCount)")
            } catch {
                throw ValidationError(error.description)
            }
        }

        private var outputOptions: OutputOptions { OutputOptions(posterior: out, drawsCSV: drawsCSV, netCDF: netCDF) }

        /// The engine of the run.
        private func inferenceEngine() -> InferenceRun.Engine {
            switch engine {
            case .prior: return .prior
            case .is: return .importanceSampling
            case .lmh: return .lmh
            case .rmh: return .rmh(stepSize: mcmc.stepSize)
            case .ic:
                // Read after the outputs are checked (InferenceNetworkProposal.check); validate() saw --network.
                return .importance(
                    proposal: .network(
                        InferenceNetworkProposal(contentsOfFile: network ?? "", batchesProposals: batchProposals)))
            }
        }

        /// The run these options ask for, in one process and without its observations (read in ``run()``).
        private var request: InferenceRun {
            var request = InferenceRun(
                engine: inferenceEngine(), source: connection.simulators.allSimulators, traceCount: traceCount,
                workers: workers, seed: seed)
            request.timeout = connection.timeoutDuration
            request.maxConsecutiveFailures = runOptions.maxFailures
            request.chains = mcmc.settings(start: chainStart.start)
            request.rejectsUnusedObservations = strictObservations
            return request
        }

        func run() throws {
            let world = try Communicator.world()
            var request = self.request
            request.observations = observed.isEmpty ? nil : try observed.observationSet()
            if engine.isMCMC, let network {
                // Read and checked by the run, as IC's network, after the outputs are checked.
                request.networkMove = InferenceRun.NetworkMove(
                    network: InferenceNetworkProposal(contentsOfFile: network, batchesProposals: false),
                    probability: mcmc.networkMoveProbability)
            }
            request.world = world
            Console.installInterruptHandlers()
            let line = runOptions.progressReporter(isRoot: world.isRoot)
            var progress: (@Sendable (RunProgress) -> Void)?
            if let line { progress = { line.update($0) } }
            let outcome: InferenceRun.Outcome?
            do {
                defer { line?.finish() }
                outcome = try request.run(outputs: outputOptions, progress: progress) { warning in
                    // On its own line, not appended to a live progress line (which the next update redraws).
                    line?.finish()
                    Console.note(warning)
                }
            } catch let error as InferenceRunError where error.kind == .request {
                throw ValidationError(error.description)
            } catch let error as NetworkFileError {
                throw ValidationError("--network: \(error.description)")
            } catch let error as CompiledInferenceError {
                throw ValidationError(error.description)
            } catch let mismatch as NetworkMismatch {
                // Shapes are checked before any simulator starts (a usage error); a model once one answered.
                let message = "--network \(network ?? ""): \(mismatch)"
                if case .observationShape = mismatch { throw ValidationError(message) }
                throw NetworkMismatchError(description: message)
            } catch let error as SimulatorSource.AssignmentError {
                throw connection.simulators.usageError(
                    for: error, countOption: engine.isMCMC ? "--chains" : "--workers")
            }
            // Only rank 0 reports and writes.
            guard let outcome else { return }
            for note in outcome.notes { Console.note(note) }
            if outputOptions.posterior == nil { print(outcome.summary.renderTable(), terminator: "") }
            if let failure = outcome.failure { throw failure }
        }
    }
}

/// A simulator of another model than the network's, found once it answered: a run failure (exit 1), naming the file.
struct NetworkMismatchError: Error, CustomStringConvertible {
    var description: String
}
