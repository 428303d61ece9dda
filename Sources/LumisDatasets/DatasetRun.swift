public import LumisCore
public import LumisDistributed
public import LumisSimulation

/// One `lumis dataset` run: what to write resolved against an existing dataset, the seed chosen once for every
/// rank, this process's writer rank and simulators, the shards written and the totals of all ranks.
///
/// Made in two steps so that a caller can report the seed and draw progress on the right rank: ``init(_:world:)``
/// resolves everything and starts nothing; ``write(progress:)`` writes.
public struct DatasetRun {
    /// What to write, as a user asked for it.
    public struct Request: Sendable {
        /// The dataset directory.
        public var directory: String
        /// Traces in the dataset; `nil` with `resumes` for the dataset's.
        public var traceCount: Int?
        /// Traces per shard; `nil` for the dataset's (resuming) or the default.
        public var shardTraces: Int?
        /// The seed; `nil` for the dataset's (resuming) or a random one, drawn on rank 0.
        public var seed: UInt64?
        /// Observations given values (kept in the manifest).
        public var observations: ObservationSet
        /// Whether observe entries keep their distributions.
        public var keepsLikelihoods: Bool
        /// Whether to complete the dataset in ``directory`` rather than start one.
        public var resumes: Bool
        /// This writer's rank and the number of writers, for processes launched without MPI; under MPI the world's.
        public var rank: Int
        /// The number of writer ranks without MPI.
        public var rankCount: Int
        /// Every simulator of the run (under MPI dealt out to the ranks: ``SimulatorSource/share(rank:of:workers:)``).
        public var simulators: SimulatorSource
        /// Simulators per rank; `nil` for one per endpoint of the rank's share, or one launched process.
        public var workers: Int?
        /// How long to wait for any one simulator reply.
        public var timeout: Duration
        /// Failures in a row after which a worker gives up.
        public var maxConsecutiveFailures: Int

        /// Creates a request.
        public init(
            directory: String, traceCount: Int?, shardTraces: Int?, seed: UInt64?, observations: ObservationSet,
            keepsLikelihoods: Bool, resumes: Bool, rank: Int, rankCount: Int, simulators: SimulatorSource,
            workers: Int?, timeout: Duration, maxConsecutiveFailures: Int
        ) {
            self.directory = directory
            self.traceCount = traceCount
            self.shardTraces = shardTraces
            self.seed = seed
            self.observations = observations
            self.keepsLikelihoods = keepsLikelihoods
            self.resumes = resumes
            self.rank = rank
            self.rankCount = rankCount
            self.simulators = simulators
            self.workers = workers
            self.timeout = timeout
            self.maxConsecutiveFailures = maxConsecutiveFailures
        }
    }

    /// A request that cannot be run, in one line.
    public struct RequestError: Error, Equatable, CustomStringConvertible {
        /// What is wrong.
        public var description: String
    }

    /// The seed of every trace stream.
    public let seed: UInt64
    /// Whether ``seed`` was drawn at random (neither given nor the dataset's), so that it should be reported.
    public let isSeedDrawn: Bool
    /// This process's writer rank: it writes the shards *k* ≡ rank (mod writer count).
    public let writerRank: Int
    private let writer: DatasetWriter
    private let simulators: SimulatorSource
    private let workers: Int
    private let timeout: Duration
    private let world: Communicator

    /// Resolves `request` for this process of `world`; starts no simulator and writes nothing.
    ///
    /// - Throws: ``RequestError`` for a request that contradicts itself or the dataset, `DatasetError` for an
    ///   unreadable manifest, `SimulatorSource.AssignmentError` for endpoints that cannot be dealt out, or an
    ///   MPI error while agreeing on the seed.
    public init(_ request: Request, world: Communicator) throws {
        let existing = request.resumes ? try DatasetReader.manifest(in: request.directory) : nil
        guard let traces = request.traceCount ?? existing?.traceCount else {
            throw RequestError(
                description: "--resume: \(request.directory) holds no dataset yet; give --traces to start one.")
        }
        var seed = request.seed ?? existing?.seed ?? UInt64.random(in: 0...UInt64.max)
        isSeedDrawn = request.seed == nil && existing == nil
        // Every rank must use rank 0's random seed.
        if isSeedDrawn { seed = try world.broadcast(seed) }
        self.seed = seed
        if world.size > 1 && request.rankCount > 1 {
            throw RequestError(
                description: "--rank and --rank-count apply without mpirun; under MPI the ranks are MPI's.")
        }
        let (rank, rankCount) = world.size > 1 ? (world.rank, world.size) : (request.rank, request.rankCount)
        writerRank = rank
        writer = DatasetWriter(
            directory: request.directory,
            configuration: DatasetWriter.Configuration(
                traceCount: traces, seed: seed,
                shardTraces: request.shardTraces ?? existing?.shardTraces
                    ?? DatasetWriter.Configuration.defaultShardTraces,
                observations: request.observations, maxConsecutiveFailures: request.maxConsecutiveFailures,
                keepsLikelihoods: request.keepsLikelihoods),
            rank: rank, rankCount: rankCount, resume: request.resumes)
        // The one rule of every command: under MPI each rank gets its share of the --simulator endpoints.
        (simulators, workers) = try request.simulators.share(
            rank: world.rank, of: world.size, workers: request.workers)
        timeout = request.timeout
        self.world = world
    }

    /// Writes this rank's missing shards.
    ///
    /// - Returns: the totals of every rank's report (the model name is this rank's).
    /// - Throws: what the writer or the simulators throw, or an MPI error.
    public func write(progress: (@Sendable (RunProgress) -> Void)?) throws -> DatasetWriter.Report {
        var report = try writer.write(
            workers: workers, makeSimulator: try simulators.simulatorFactory(timeout: timeout), progress: progress,
            synchronize: { try world.barrier() })
        let totals = try world.allreduceSum([
            report.tracesWritten, report.shardsWritten, report.bytesWritten, report.shardsSkipped,
            report.discardedTraces, report.restarts,
        ])
        report.tracesWritten = totals[0]
        report.shardsWritten = totals[1]
        report.bytesWritten = totals[2]
        report.shardsSkipped = totals[3]
        report.discardedTraces = totals[4]
        report.restarts = totals[5]
        return report
    }
}
