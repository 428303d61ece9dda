import ArgumentParser
import Foundation
import LumisCompilation
import LumisCore
import LumisDatasets
import LumisDistributed
import LumisDistributions
import LumisInference
import LumisNeural
import LumisOutput
import LumisSimulation
import LumisStorage
import LumisTransport

extension LumisCommand {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train an inference network on traces simulated from the prior (inference compilation).",
            discussion: """
                Examples:
                  lumis train --launch 'simulators/build/bin/gum {endpoint}' \\
                      --workers 2 --traces 20000 --batch-size 64 --out gum.lumisnet
                  lumis train --launch 'simulators/build/bin/gum {endpoint}' \\
                      --traces 20000 --resume gum.lumisnet --out gum2.lumisnet
                  mpirun -np 4 lumis train --dataset gum-data/ --until-traces 1000000 \\
                      --batch-size 256 --out gum.lumisnet
                  lumis infer --launch 'simulators/build/bin/gum {endpoint}' \\
                      --engine ic --network gum.lumisnet --observe obs0=8 --observe obs1=9

                Observations the simulator leaves without a value are drawn from their likelihood. Every named \
                observation is embedded unless --observe-embedding names some. See docs/inference-compilation.md. \
                Under mpirun or srun training is data-parallel: --batch-size is the global minibatch, split over \
                the ranks, whose gradients are summed by one allreduce per step. See docs/distributed.md.
                """)

        enum Schedule: String, ExpressibleByArgument, CaseIterable { case none, poly1, poly2 }
        enum PrecisionChoice: String, ExpressibleByArgument, CaseIterable { case float32, float64 }

        enum OptimizerChoice: String, ExpressibleByArgument, CaseIterable {
            case adam, sgd
            case larcAdam = "larc-adam"
            case larcSGD = "larc-sgd"
        }

        @OptionGroup var connection: TrainingSourceOptions

        @Option(
            parsing: .unconditional,
            help: "Number of simulators run in parallel (default: one per --simulator per rank, else 1).",
            transform: Count.positive)
        var workers: Int?

        @Option(
            name: .customLong("traces"), parsing: .unconditional,
            help: "Number of training traces in this run (no default: give --traces or --until-traces).",
            transform: Count.positive)
        var traceCount: Int?

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp(
                "Instead of --traces: train until the network has seen this many traces in all (with --resume, a "
                    + "resubmitted batch job continues where its checkpoint stopped; no default).",
                valueName: "traces"), transform: Count.positive)
        var untilTraces: Int?

        @Option(parsing: .unconditional, help: "Traces per minibatch (default: 64).", transform: Count.positive)
        var batchSize = 64

        @Option(help: ArgumentHelp("Write the network (and checkpoints) to this file.", valueName: "file"))
        var out: String

        @Option(
            help: ArgumentHelp(
                "Continue training the network in this file, optimizer state included (default: a new network).",
                valueName: "file"))
        var resume: String?

        @Option(
            name: .customLong("observe-embedding"),
            help: ArgumentHelp(
                "Embed an observation: name, name:dim, name:arch or name:arch:dim (arch ff, cnn2d, cnn3d; default "
                    + "by shape). Repeat for several. Default: every named observation.",
                valueName: "spec"))
        var embeddings: [String] = []

        @Option(help: "Default observation embedding size.")
        var embeddingDim = 32

        @Option(help: "LSTM hidden size.")
        var lstmHidden = 64

        @Option(help: "Stacked LSTM layers.")
        var lstmLayers = 1

        @Option(help: "Mixture components per proposal.")
        var components = 3

        @Option(help: "Address embedding size.")
        var addressEmbedding = 16

        @Option(help: "Previous-value embedding size.")
        var sampleEmbedding = 4

        @Option(help: "Optimizer: adam, sgd, larc-adam or larc-sgd (LARC for large batches, pyprob's *_LARC).")
        var optimizer: OptimizerChoice = .adam

        @Option(help: "Initial learning rate.")
        var learningRate = 1e-3

        @Option(help: "SGD momentum.")
        var momentum = 0.9

        @Option(help: "L2 weight decay.")
        var weightDecay = 0.0

        @Option(help: "Learning-rate schedule: none, poly1 or poly2 (pyprob's POLY1/POLY2, over traces).")
        var schedule: Schedule = .none

        @Option(help: "Final learning rate of a poly schedule.")
        var learningRateEnd = 1e-6

        @Option(help: "Traces at which a poly schedule reaches its final rate (default: --traces).")
        var scheduleTraces: Int?

        @Option(help: "Size of the held-out validation set (a fixed random stream).")
        var validationTraces = 256

        @Option(help: "Validate every this many traces (default: --traces / 20).")
        var validateEvery: Int?

        @Option(help: ArgumentHelp("Write a checkpoint to --out at least this often.", valueName: "seconds"))
        var checkpointEvery: Double = 600

        @Option(help: "Random seed of the training data (default: random, printed to stderr).")
        var seed: UInt64?

        @Option(
            help: ArgumentHelp(
                "Storage of parameters and Adam's moments and format of every matrix product: float32 (sgemm, about "
                    + "twice as fast, half the memory and file size) or float64; activations and the loss stay "
                    + "float64. Recorded in the network file; --resume keeps the file's.",
                valueName: "float32|float64"))
        var precision: PrecisionChoice = .float32

        @Option(
            help: ArgumentHelp(
                "Threads for the network step (default: OPENBLAS_NUM_THREADS if set, else the cores this process "
                    + "may use, shared among the MPI ranks on its node, less one per --launch simulator worker)."))
        var threads: Int?

        @OptionGroup var runOptions: RunOptions

        func validate() throws {
            switch (traceCount, untilTraces) {
            case (nil, nil): throw ValidationError("Give --traces (traces in this run) or --until-traces (in all).")
            case (.some, .some): throw ValidationError("Give --traces or --until-traces, not both.")
            default: break
            }
            for (name, value) in [
                ("--lstm-hidden", lstmHidden), ("--lstm-layers", lstmLayers),
                ("--components", components), ("--address-embedding", addressEmbedding),
                ("--sample-embedding", sampleEmbedding), ("--embedding-dim", embeddingDim),
            ]
            where value <= 0 || value > 65_536 {
                throw ValidationError("\(name) must be between 1 and 65536.")
            }
            guard learningRate > 0, learningRate.isFinite, learningRateEnd >= 0, learningRateEnd.isFinite else {
                throw ValidationError("--learning-rate must be positive and --learning-rate-end not negative.")
            }
            guard momentum >= 0, momentum.isFinite, weightDecay >= 0, weightDecay.isFinite else {
                throw ValidationError("--momentum and --weight-decay must be non-negative numbers.")
            }
            guard validationTraces >= 0 else { throw ValidationError("--validation-traces must not be negative.") }
            if let validateEvery, validateEvery <= 0 { throw ValidationError("--validate-every must be positive.") }
            if let threads, threads <= 0 || threads > 1024 {
                throw ValidationError("--threads must be between 1 and 1024.")
            }
            if let scheduleTraces, scheduleTraces <= 0 { throw ValidationError("--schedule-traces must be positive.") }
            guard checkpointEvery > 0, checkpointEvery.isFinite else {
                throw ValidationError("--checkpoint-every must be a positive number.")
            }
            for text in embeddings { _ = try requests(text) }
        }

        private func requests(_ text: String) throws -> EmbeddingRequest {
            do {
                return try EmbeddingRequest(parsing: text, defaultDimension: embeddingDim)
            } catch {
                throw ValidationError(error.description)
            }
        }

        /// The optimizer chosen by the options.
        private func makeOptimizer() -> Optimizer {
            let adam = Adam(learningRate: learningRate, weightDecay: weightDecay)
            let sgd = SGD(learningRate: learningRate, momentum: momentum, weightDecay: weightDecay)
            return switch optimizer {
            case .adam: .adam(adam)
            case .sgd: .sgd(sgd)
            case .larcAdam: .larcAdam(LARC(adam))
            case .larcSGD: .larcSGD(LARC(sgd))
            }
        }

        func run() throws {
            let world = try Communicator.world()
            if world.isRoot { try OutputOptions(posterior: out).check() }
            let source: TrainingSession.TraceSource =
                if let directory = connection.dataset {
                    .dataset(directory: directory, workers: workers ?? 1)
                } else {
                    .simulators(
                        connection.simulators.allSimulators, workers: workers, timeout: connection.timeoutDuration)
                }
            let kind: LearningRateSchedule.Kind =
                switch schedule {
                case .none: .none
                case .poly1: .poly1
                case .poly2: .poly2
                }
            let request = TrainingSession.Request(
                source: source, output: out, resume: resume, traceCount: traceCount, untilTraces: untilTraces,
                batchSize: batchSize, validationTraces: validationTraces, validateEvery: validateEvery,
                checkpointInterval: .milliseconds(Int64(checkpointEvery * 1000)),
                maxConsecutiveFailures: runOptions.maxFailures, seed: seed, embeddings: try embeddings.map(requests),
                embeddingDimension: embeddingDim,
                network: NetworkConfiguration(
                    observations: [], lstmHidden: lstmHidden, lstmLayers: lstmLayers, sampleEmbedding: sampleEmbedding,
                    addressEmbedding: addressEmbedding, components: components,
                    precision: precision == .float32 ? .float32 : .float64),
                optimizer: makeOptimizer(),
                schedule: (kind, learningRate, learningRateEnd, scheduleTraces), threads: threads)
            let session = TrainingSession(request, world: world)
            Console.installInterruptHandlers()
            let line = runOptions.progressReporter(isRoot: world.isRoot)
            let outcome: TrainingSession.Outcome
            do {
                outcome = try session.run(notes: Console.note, progress: { line?.update($0) })
                line?.finish()
            } catch let error as TrainingSession.RequestError {
                line?.finish()
                throw ValidationError(error.description)
            } catch let error as SimulatorSource.AssignmentError {
                line?.finish()
                throw connection.simulators.usageError(for: error, countOption: "--workers")
            } catch {
                line?.finish()
                if Interrupt.isRequested && !world.usesMPI, let trainer = session.trainer {
                    Console.note(
                        "checkpoint after \(trainer.state.traces) traces written to \(out); continue with "
                            + "--resume \(out)")
                }
                throw error
            }
            guard let trainer = session.trainer else { return }
            switch outcome {
            case .nothingToTrain(let ranks):
                if world.usesMPI && world.isRoot { Console.note("parameters identical on \(ranks) ranks") }
                if world.isRoot {
                    Console.note(
                        "the network has seen \(trainer.state.traces) traces, --until-traces \(untilTraces ?? 0): "
                            + "nothing to train; wrote \(out)")
                }
            case .trained(let report):
                for bad in report.badLosses.prefix(20) { Console.note(bad.description) }
                if report.badLosses.count > 20 {
                    Console.note("... \(report.badLosses.count - 20) more skipped batches")
                }
                guard world.isRoot else { return }
                if report.rejectedTraces > 0 {
                    Console.note("\(report.rejectedTraces) traces lacked an embedded observation and were not used")
                }
                if world.usesMPI { Console.note("parameters identical on \(report.identicalRanks) ranks") }
                Console.note(Self.summary(report, trainer: trainer, ranks: world.size, outPath: out))
            }
        }

        /// The closing line: throughput, losses, network size and where the time of a step went.
        static func summary(_ report: TrainingReport, trainer: Trainer, ranks: Int, outPath: String) -> String {
            let loss = report.loss.map { String(format: "%.4f", $0) } ?? "-"
            let validationLoss = report.validationLoss.map { String(format: "%.4f", $0) } ?? "-"
            let rate = String(
                format: "%.1f s (%.0f traces/s)", report.seconds,
                Double(report.traces) / max(report.seconds, 1e-9))
            let steps = Double(max(report.steps, 1))
            let compute = report.computeSeconds / steps * 1000
            let allreduce = report.allreduceSeconds / steps * 1000
            let communication = report.communicationSeconds / steps * 1000
            let timing = String(
                format: "step %.2f ms compute + %.2f ms gradient allreduce (%.1f%% of the step) + %.2f ms other "
                    + "collectives and waiting for ranks; %.2f ms waiting for traces; gradient %d bytes",
                compute, allreduce, 100 * allreduce / max(compute + communication, 1e-12),
                communication - allreduce, report.dataSeconds / steps * 1000, report.gradientBytes)
            return "trained on \(report.traces) traces in \(rate)\(ranks > 1 ? " on \(ranks) ranks" : "") "
                + "with \(BLASThreading.threads) network thread\(BLASThreading.threads == 1 ? "" : "s")\(ranks > 1 ? " each" : ""); "
                + "loss \(loss), validation loss \(validationLoss); \(trainer.network.addresses.count) addresses, "
                + "\(trainer.network.parameterCount) parameters; \(timing); wrote \(outPath)"
        }
    }
}
