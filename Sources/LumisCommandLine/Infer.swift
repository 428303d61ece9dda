import ArgumentParser
import Foundation
import LumisCompilation
import LumisCore
import LumisDistributed
import LumisInference
import LumisOutput

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
            var engine: InferenceJob.Engine { self == .prior ? .prior : .importanceSampling }
            var mcmcEngine: MCMCJob.Engine? { self == .lmh ? .lmh : self == .rmh ? .rmh : nil }
        }

        @Option(
            help: """
                Inference engine: prior (prior sampling), is (importance sampling), lmh (lightweight \
                Metropolis-Hastings), rmh (random-walk Metropolis-Hastings) or ic (importance sampling with \
                the proposals of a network trained by lumis train; needs --network).
                """)
        var engine: Engine = .is

        @Option(
            name: .customLong("traces"), help: "Number of traces (lmh/rmh: proposals per chain after burn-in).")
        var traceCount = 1_000

        @Option(help: "Number of simulators run in parallel (prior, is).")
        var workers: Int?

        @OptionGroup(title: "MCMC (lmh, rmh)") var mcmc: MCMCOptions

        @OptionGroup var observed: ObservationOptions

        @Option(help: "Random seed (default: random, printed to stderr).")
        var seed: UInt64?

        @Option(help: ArgumentHelp("Write the posterior to this JSON file.", valueName: "file"))
        var out: String?

        @Option(
            help: ArgumentHelp(
                "Write every draw to this CSV file (chain, draw, weight, log_weight, a column per variable element).",
                valueName: "file"))
        var drawsCSV: String?

        @Option(
            name: .customLong("netcdf"),
            help: ArgumentHelp(
                "Write an ArviZ InferenceData NetCDF file (is, ic: posterior is an equally weighted resample; "
                    + "the weighted draws are in weighted_posterior). See docs/outputs.md.",
                valueName: "file"))
        var netCDF: String?

        @Option(help: ArgumentHelp("Inference network file for --engine ic (from lumis train).", valueName: "file"))
        var network: String?

        @Flag(
            inversion: .prefixedNo,
            help: "With --engine ic and several workers, run the workers' LSTM steps as one batch.")
        var batchProposals = true

        @OptionGroup var runOptions: RunOptions

        func validate() throws {
            guard traceCount > 0 else { throw ValidationError("--traces must be positive.") }
            if let workers, workers <= 0 { throw ValidationError("--workers must be positive.") }
            if engine.mcmcEngine == nil {
                guard !mcmc.isUsed else {
                    throw ValidationError(
                        "--chains, --burn-in, --thin, --step-size, --initial-trace and --resume "
                            + "apply to --engine lmh or rmh.")
                }
            } else if workers != nil {
                throw ValidationError("MCMC runs one simulator per chain: use --chains instead of --workers.")
            }
            guard (engine == .ic) == (network != nil) else {
                throw ValidationError(
                    engine == .ic ? "--engine ic needs --network FILE." : "--network applies to --engine ic.")
            }
            // Checked here rather than in run() so that the mistake is reported as a usage error before any work.
            if engine.mcmcEngine == nil && connection.launch == nil && !connection.endpoints.isEmpty {
                _ = try connection.simulators.source(workers: workerCount)
            }
        }

        private var workerCount: Int { workers ?? max(connection.endpoints.count, 1) }

        private var outputOptions: OutputOptions { OutputOptions(posterior: out, drawsCSV: drawsCSV, netCDF: netCDF) }

        func run() throws {
            let distributed = DistributedInference(world: try Communicator.world())
            let observationSet = try observed.observationSet()
            if let mcmcEngine = engine.mcmcEngine {
                try MCMCRunner(
                    engine: mcmcEngine, options: mcmc, connection: connection, steps: traceCount, seed: seed,
                    observations: observationSet, hasObservations: !observed.isEmpty, outputOptions: outputOptions,
                    showsProgress: runOptions.showsProgress, maxFailures: runOptions.maxFailures,
                    distributed: distributed
                ).run()
                return
            }
            let (source, workers) = try distributed.source(connection: connection, workers: workerCount)
            if engine == .ic, let network {
                try CompiledRunner(
                    networkPath: network, source: source, timeout: connection.timeoutDuration, traceCount: traceCount,
                    workers: workers, seed: seed, observations: observationSet, outputOptions: outputOptions,
                    showsProgress: runOptions.showsProgress, maxFailures: runOptions.maxFailures,
                    batchesProposals: batchProposals, distributed: distributed
                ).run()
                return
            }
            let job = InferenceJob(
                source: source, engine: engine.engine, traceCount: traceCount, workers: workers,
                seed: try distributed.agreedSeed(seed),
                observations: observationSet, timeout: connection.timeoutDuration,
                maxConsecutiveFailures: runOptions.maxFailures)
            // A random seed is recorded in the posterior (file or table), so nothing is printed for it up front:
            // a run that fails at once then says exactly one line.
            try InferRunner(
                job: job, outputOptions: outputOptions,
                showsProgress: runOptions.showsProgress, distributed: distributed
            ).run()
        }
    }
}
