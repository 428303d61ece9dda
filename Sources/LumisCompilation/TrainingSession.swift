import Foundation
import LumisCore
import LumisDatasets
public import LumisDistributed
import LumisDistributions
public import LumisNeural
public import LumisSimulation
import LumisStorage

/// One `lumis train` run: a new network or one resumed from its file, traces from simulators or a dataset, heads
/// known up front from a dataset's trace types, the validation split, the observation embeddings agreed over the
/// ranks, training with checkpoints (also on a signal), and the network written.
///
/// The caller parses, builds a ``Request``, runs it and prints: notes come back through `notes`, progress through
/// `progress`, and the ``Outcome`` holds the report to print.
public final class TrainingSession {
    /// Where the traces come from.
    public enum TraceSource: Sendable {
        /// Simulators in the simulate-observations mode: `simulators` dealt out to the ranks (the one rule of every
        /// command), `workers` per rank (`nil` for one per endpoint of the rank's share, or one launched process).
        case simulators(SimulatorSource, workers: Int?, timeout: Duration)
        /// A dataset written by `lumis dataset`: validation on its last traces, training cycling over the others;
        /// `workers` readers.
        case dataset(directory: String, workers: Int)
    }

    /// What to train, as a user asked for it.
    public struct Request: Sendable {
        /// Where the traces come from.
        public var source: TraceSource
        /// The network file to write (and checkpoint to).
        public var output: String
        /// A network file to continue training (its optimizer state, seed and validation set included).
        public var resume: String?
        /// Training traces in this run, or `nil` for ``untilTraces``.
        public var traceCount: Int?
        /// Train until the network has seen this many traces in all.
        public var untilTraces: Int?
        /// Traces per (global) minibatch.
        public var batchSize: Int
        /// The validation set's size for a new network.
        public var validationTraces: Int
        /// Validate every this many traces (`nil`: the trainer's default).
        public var validateEvery: Int?
        /// The least time between checkpoints.
        public var checkpointInterval: Duration
        /// Failures in a row after which a worker gives up.
        public var maxConsecutiveFailures: Int
        /// The seed of a new network's data, or `nil` for a random one, drawn on rank 0.
        public var seed: UInt64?
        /// The observations to embed (empty: every named observation).
        public var embeddings: [EmbeddingRequest]
        /// The default embedding size.
        public var embeddingDimension: Int
        /// A new network's sizes and precision; its observations and seed are filled in by the run.
        public var network: NetworkConfiguration
        /// A new network's optimizer.
        public var optimizer: Optimizer
        /// A new network's learning-rate schedule; `endTraces` `nil` for the run's trace count.
        public var schedule: (kind: LearningRateSchedule.Kind, initial: Double, final: Double, endTraces: Int?)
        /// Threads for the network step (`nil`: `OPENBLAS_NUM_THREADS`, else this rank's share of the cores).
        public var threads: Int?

        /// Creates a request.
        public init(
            source: TraceSource, output: String, resume: String?, traceCount: Int?, untilTraces: Int?,
            batchSize: Int, validationTraces: Int, validateEvery: Int?, checkpointInterval: Duration,
            maxConsecutiveFailures: Int, seed: UInt64?, embeddings: [EmbeddingRequest], embeddingDimension: Int,
            network: NetworkConfiguration, optimizer: Optimizer,
            schedule: (kind: LearningRateSchedule.Kind, initial: Double, final: Double, endTraces: Int?),
            threads: Int?
        ) {
            self.source = source
            self.output = output
            self.resume = resume
            self.traceCount = traceCount
            self.untilTraces = untilTraces
            self.batchSize = batchSize
            self.validationTraces = validationTraces
            self.validateEvery = validateEvery
            self.checkpointInterval = checkpointInterval
            self.maxConsecutiveFailures = maxConsecutiveFailures
            self.seed = seed
            self.embeddings = embeddings
            self.embeddingDimension = embeddingDimension
            self.network = network
            self.optimizer = optimizer
            self.schedule = schedule
            self.threads = threads
        }
    }

    /// A request that cannot be run, in one line (a usage error, found before training starts).
    public struct RequestError: Error, Equatable, CustomStringConvertible {
        /// What is wrong.
        public var description: String
    }

    /// What a run did.
    public enum Outcome {
        /// It trained; the network is written.
        case trained(TrainingReport)
        /// The network had seen `untilTraces` already; it is written unchanged.
        case nothingToTrain(identicalRanks: Int)
    }

    /// The request.
    public let request: Request
    /// This process's MPI world (or a world of one).
    public let world: Communicator
    /// The trainer, once ``run(notes:progress:)`` has built or loaded it.
    public private(set) var trainer: Trainer?

    /// Creates a session; nothing runs until ``run(notes:progress:)``.
    public init(_ request: Request, world: Communicator) {
        self.request = request
        self.world = world
    }

    /// Runs the session: every rank calls it.
    ///
    /// - Throws: ``RequestError`` for a request that contradicts the resumed file, the dataset or the simulator's
    ///   observations; `SimulatorSource.AssignmentError` for endpoints that cannot be dealt out; what training
    ///   throws (an interrupted run has written its checkpoint first).
    public func run(notes: (String) -> Void, progress: ((RunProgress) -> Void)?) throws -> Outcome {
        guard request.batchSize >= world.size else {
            throw RequestError(
                description:
                    "--batch-size \(request.batchSize) must be at least the number of ranks (\(world.size)).")
        }
        var resumed: Trainer?
        if let path = request.resume {
            do {
                resumed = try NetworkFile.read(from: path)
            } catch {
                throw RequestError(description: "--resume: \(error.description)")
            }
        }
        let traces = try traceSource(validationCount: resumed?.state.validationCount ?? request.validationTraces)
        // An explicit OPENBLAS_NUM_THREADS is OpenBLAS's own convention (and what MPI runs and tests set).
        let environmentThreads = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap { Int($0) }
        BLASThreading.threads =
            request.threads ?? environmentThreads.flatMap { $0 > 0 ? $0 : nil } ?? defaultThreads(traces)
        let trainer: Trainer
        var validation: [TrainingExample]
        if let resumed {
            trainer = resumed
            trainer.communicator = world
            let part = try traces.validation(world.share(of: trainer.state.validationCount), trainer.state)
            do {
                if !part.model.isEmpty { try trainer.network.signature.checkModel(part.model) }
            } catch {
                throw RequestError(description: "--resume \(request.resume ?? ""): \(error.description)")
            }
            if world.isRoot {
                notes("resuming after \(trainer.state.traces) traces (\(trainer.network.addresses.count) addresses)")
            }
            if trainer.network.signature.isUnknown {
                // A file from before the signature was recorded learns it from this run (rank 0's).
                let local = part.traces.first.map { SimulatorSignature(model: part.model, example: $0) }
                trainer.network.signature = try rootValue(local ?? .unknown)
            }
            validation = part.traces.compactMap {
                try? TrainingExample(trace: $0, observations: trainer.network.configuration.observations)
            }
        } else {
            let runSeed = try request.seed ?? world.broadcast(UInt64.random(in: 0...UInt64.max))
            if request.seed == nil && world.isRoot { notes("seed \(runSeed)") }
            let schedule = request.schedule
            let rate = LearningRateSchedule(
                kind: schedule.kind, initial: schedule.initial, final: schedule.final,
                endTraces: schedule.endTraces ?? request.traceCount ?? request.untilTraces ?? 1)
            let state = TrainingState(seed: runSeed, schedule: rate, validationCount: request.validationTraces)
            let (specs, signature, validationTraces) = try embeddingSpecs(state: state, traces: traces)
            let sizes = request.network
            let configuration = NetworkConfiguration(
                observations: specs, lstmHidden: sizes.lstmHidden, lstmLayers: sizes.lstmLayers,
                sampleEmbedding: sizes.sampleEmbedding, addressEmbedding: sizes.addressEmbedding,
                kindEmbedding: sizes.kindEmbedding, components: sizes.components, seed: runSeed,
                precision: sizes.precision)
            let network = InferenceNetwork(configuration: configuration)
            network.signature = signature
            trainer = Trainer(network: network, optimizer: request.optimizer, state: state, communicator: world)
            validation = validationTraces.compactMap { try? TrainingExample(trace: $0, observations: specs) }
            let names = specs.map { "\($0.name) \($0.shape) \($0.architecture.rawValue)" }
            if world.isRoot { notes("embedding \(names.joined(separator: ", "))") }
        }
        self.trainer = trainer
        // Every rank reads the same index, so the heads are created in the same order everywhere.
        trainer.network.addHeads(for: traces.heads)
        let count = request.traceCount ?? (request.untilTraces ?? 0) - trainer.state.traces
        let output = request.output
        guard count > 0 else {
            // Every rank holds the same state, so all of them stop here.
            let ranks = try trainer.verifyIdenticalAcrossRanks()
            if world.isRoot { try NetworkFile.write(trainer, to: output) }
            return .nothingToTrain(identicalRanks: ranks)
        }
        let configuration = TrainingConfiguration(
            traceCount: count, batchSize: request.batchSize, validateEvery: request.validateEvery,
            workers: traces.workers, maxConsecutiveFailures: request.maxConsecutiveFailures,
            checkpointInterval: request.checkpointInterval)
        return .trained(
            try trainer.train(
                configuration, validation: validation, data: traces.data,
                checkpoint: { try NetworkFile.write($0, to: output) }, progress: { progress?($0) }))
    }

    /// Where this run's traces come from.
    private struct Traces {
        /// The training data.
        var data: TrainingData
        /// Traces `range` of the validation set (the state's validation stream, or the dataset's last traces) and
        /// the model name of the simulator or dataset (empty if no simulator ran).
        var validation: (Range<Int>, TrainingState) throws -> (traces: [Trace], model: String)
        /// Heads known before training (a dataset's trace types), in creation order.
        var heads: [(key: AddressKey, prior: Distribution)] = []
        /// How many simulators (or dataset readers) run at once on this rank.
        var workers: Int
    }

    /// The network step's threads when neither `--threads` nor `OPENBLAS_NUM_THREADS` says: this rank's cores,
    /// less one per simulator it launches, since those run on the same cores while the step computes (measured on
    /// 2 cores: gum trains at 2,838 traces/s with one BLAS thread beside its simulator, 1,810 with two).
    private func defaultThreads(_ traces: Traces) -> Int {
        guard case .simulators(.launch, _, _) = request.source else { return world.coresPerRank }
        return max(1, world.coresPerRank - traces.workers)
    }

    /// The simulators of this rank (the one rule of every command: `--launch` starts `--workers` per rank;
    /// `--simulator` endpoints are dealt out to the ranks in order), or the dataset.
    private func traceSource(validationCount: Int) throws -> Traces {
        switch request.source {
        case .dataset(let directory, let workers):
            return try datasetSource(directory, validationCount: validationCount, workers: workers)
        case .simulators(let all, let workers, let timeout):
            let (source, workers) = try all.share(rank: world.rank, of: world.size, workers: workers)
            let makeSimulator = try source.simulatorFactory(timeout: timeout)
            return Traces(
                data: .simulators(makeSimulator),
                validation: { range, state in
                    guard !range.isEmpty else { return ([], "") }
                    let sampled = try Trainer.sampleTraces(
                        count: range.count, seed: state.validationSeed, firstStream: UInt64(range.lowerBound),
                        workers: workers, makeSimulator: makeSimulator)
                    return (sampled.traces, sampled.report.modelName)
                },
                workers: workers)
        }
    }

    /// A dataset: validation on its last `validationCount` traces, training cycling over the others.
    private func datasetSource(_ directory: String, validationCount: Int, workers: Int) throws -> Traces {
        let reader: DatasetReader
        do {
            reader = try DatasetReader(directory: directory)
        } catch {
            throw RequestError(description: "--dataset: \(error.description)")
        }
        guard validationCount >= 1, validationCount < reader.traceCount else {
            throw RequestError(
                description: "--dataset \(directory) has \(reader.traceCount) traces; --validation-traces must be at "
                    + "least 1 and leave traces to train on (it is \(validationCount))")
        }
        let trainingCount = reader.traceCount - validationCount
        var heads: [(key: AddressKey, prior: Distribution)] = []
        for type in reader.traceTypes {
            for entry in type.entries where entry.kind == .sample && entry.isControlled {
                guard let prior = entry.distribution else { continue }
                heads.append((AddressKey(address: entry.address, instance: entry.instance, kind: prior.kind), prior))
            }
        }
        return Traces(
            data: .cycling(count: trainingCount) { try reader.traces(in: $0) },
            validation: { range, _ in
                let traces = try reader.traces(
                    in: (trainingCount + range.lowerBound)..<(trainingCount + range.upperBound))
                return (traces, reader.manifest.model)
            },
            heads: heads, workers: workers)
    }

    /// The observation embeddings, normalized over the whole validation set, the simulator's signature (model
    /// name, observation shapes), and this rank's validation traces.
    ///
    /// Under MPI rank 0 reads (simulates) the whole set and broadcasts the embeddings and signature, so every rank
    /// builds the same network; the other ranks read only their share.
    private func embeddingSpecs(
        state: TrainingState, traces source: Traces
    ) throws -> (specs: [ObservationEmbeddingSpec], signature: SimulatorSignature, validation: [Trace]) {
        let part = world.share(of: state.validationCount)
        var specs: [ObservationEmbeddingSpec] = []
        var signature = SimulatorSignature.unknown
        var validation: [Trace] = []
        if world.isRoot {
            let (traces, model) = try source.validation(0..<max(state.validationCount, 1), state)
            signature = SimulatorSignature(model: model, example: traces[0])
            do {
                specs = try ObservationEmbeddingSpec.specs(
                    for: request.embeddings, example: traces[0], normalizingOver: traces,
                    defaultDimension: request.embeddingDimension)
            } catch {
                throw RequestError(description: "--observe-embedding: \(error.description)")
            }
            guard !specs.isEmpty else {
                throw RequestError(
                    description: "the simulator made no named observation to embed; name them with --observe-embedding")
            }
            validation = Array(traces[part])
        } else {
            validation = try source.validation(part, state).traces
        }
        return (try rootValue(specs), try rootValue(signature), validation)
    }

    /// Rank 0's `value`, on every rank (a collective under MPI).
    private func rootValue<T: Codable>(_ value: T) throws -> T {
        guard world.usesMPI else { return value }
        // Plain Codable structs encode and decode without failing unless the bytes are damaged.
        let bytes = world.isRoot ? Array(((try? JSONValue(encoding: value).text) ?? "").utf8) : []
        let received = try world.broadcast(bytes, root: 0)
        guard let decoded = try? JSONValue.parse(received).decode(T.self) else {
            throw RequestError(description: "rank 0 sent an unreadable \(T.self)")
        }
        return decoded
    }
}
