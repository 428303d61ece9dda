public import LumisCore
public import LumisSimulation
import Synchronization

/// Writes prior traces (simulate-observations mode, as `lumis train` uses online) into a dataset directory of
/// shards, crash-safely and resumably; one of several ranks writes every `rankCount`-th shard.
///
/// Global shard *k* holds traces `k·S ..< min((k+1)·S, T)`, trace *i* made with random stream *i* of the seed,
/// so the shards' bytes depend only on the simulator, seed, *T* and *S*: not on workers, ranks or resumes.
/// Rank *r* writes the shards *k* ≡ *r* (mod `rankCount`) that no index file lists yet, each to a temporary
/// name, `fsync`ed and renamed, and then rewrites its own `index-rankNNNNN.json` atomically. Rank 0 writes
/// `manifest.json` before its first shard. See docs/datasets.md.
public struct DatasetWriter: Sendable {
    /// What to write.
    public struct Configuration: Sendable {
        /// The number of traces *T*.
        public var traceCount: Int
        /// The seed of the traces' random streams.
        public var seed: UInt64
        /// Traces per shard *S*.
        public var shardTraces: Int
        /// Observed values by name (kept as given); other observations are drawn from their likelihoods.
        public var observations: ObservationSet
        /// How many failures in a row a worker tolerates before the run stops.
        public var maxConsecutiveFailures: Int
        /// Whether observe entries keep their distributions (likelihoods); by default they are left out, as
        /// training reads only observed values and they can be half a record (an image's noiseless mean).
        public var keepsLikelihoods: Bool

        /// The default traces per shard: tens of MB for models of a few hundred bytes per trace.
        public static let defaultShardTraces = 100_000

        /// Creates a configuration.
        ///
        /// - Precondition: `traceCount >= 0`, `shardTraces > 0`, `maxConsecutiveFailures >= 0`.
        public init(
            traceCount: Int, seed: UInt64, shardTraces: Int = Configuration.defaultShardTraces,
            observations: ObservationSet = ObservationSet(), maxConsecutiveFailures: Int = 10,
            keepsLikelihoods: Bool = false
        ) {
            precondition(traceCount >= 0 && shardTraces > 0 && maxConsecutiveFailures >= 0)
            self.keepsLikelihoods = keepsLikelihoods
            self.traceCount = traceCount
            self.seed = seed
            self.shardTraces = shardTraces
            self.observations = observations
            self.maxConsecutiveFailures = maxConsecutiveFailures
        }
    }

    /// What a run did.
    public struct Report: Sendable {
        /// Shards this run wrote.
        public var shardsWritten = 0
        /// Traces this run wrote.
        public var tracesWritten = 0
        /// Bytes of the shards this run wrote.
        public var bytesWritten = 0
        /// This rank's shards that were already complete (after a resume).
        public var shardsSkipped = 0
        /// Trace attempts discarded after simulator failures and run again.
        public var discardedTraces = 0
        /// Simulator restarts.
        public var restarts = 0
        /// The model name from the handshake (empty if no simulator was started).
        public var model = ""
    }

    /// The dataset directory.
    public let directory: String
    /// What to write.
    public let configuration: Configuration
    /// This writer's rank.
    public let rank: Int
    /// The number of ranks writing the dataset.
    public let rankCount: Int
    /// Whether to complete an existing dataset rather than start a new one.
    public let resume: Bool

    /// Creates a writer.
    ///
    /// - Precondition: `0 <= rank < rankCount`.
    public init(directory: String, configuration: Configuration, rank: Int = 0, rankCount: Int = 1, resume: Bool) {
        precondition(rankCount > 0 && rank >= 0 && rank < rankCount, "rank \(rank) of \(rankCount)")
        self.directory = directory
        self.configuration = configuration
        self.rank = rank
        self.rankCount = rankCount
        self.resume = resume
    }

    private var path: (String) -> String { { [directory] name in directory + "/" + name } }

    /// The manifest this writer's run describes, with `model` as the model name.
    public func manifest(model: String) -> DatasetManifest {
        DatasetManifest(
            seed: configuration.seed, traceCount: configuration.traceCount, shardTraces: configuration.shardTraces,
            model: model, observations: configuration.observations.values,
            keepsLikelihoods: configuration.keepsLikelihoods)
    }

    /// Writes this rank's missing shards.
    ///
    /// - Parameters:
    ///   - workers: how many simulators run at once.
    ///   - makeSimulator: creates worker *w*'s simulator (rank 0 may also call it once on the calling thread,
    ///     for the handshake's model name, and hand that simulator to worker 0).
    ///   - progress: called after every chunk of traces, from a worker thread.
    ///   - synchronize: a barrier over the ranks (MPI's), called once by every rank: by rank 0 after it has
    ///     checked the directory and written the manifest, by the others before they look at the directory.
    ///     The default does nothing (one rank, or ranks started one after another).
    /// - Returns: what the run did.
    /// - Throws: ``DatasetError`` for a directory that holds something else (or a dataset, without `resume`), a
    ///   manifest that does not match, unreadable indexes or failed writes; the sampler's errors
    ///   (``RepeatedFailure``, ``ModelError``, interrupts). Complete shards stay and are indexed; the temporary
    ///   of the shard in progress is removed.
    public func write(
        workers: Int, makeSimulator: @escaping @Sendable (Int) throws -> any Simulator,
        progress: (@Sendable (RunProgress) -> Void)? = nil, synchronize: () throws -> Void = {}
    ) throws -> Report {
        precondition(workers > 0, "workers must be positive")
        if rank != 0 { try synchronize() }
        let report = try prepareAndWrite(workers: workers, makeSimulator: makeSimulator, progress: progress) {
            if rank == 0 { try synchronize() }
        }
        return report
    }

    private func prepareAndWrite(
        workers: Int, makeSimulator: @escaping @Sendable (Int) throws -> any Simulator,
        progress: (@Sendable (RunProgress) -> Void)?, prepared: () throws -> Void
    ) throws -> Report {
        let names = try DatasetFiles.names(in: directory) ?? []
        try DatasetFiles.makeDirectory(directory)
        let manifestPath = path(DatasetLayout.manifest)
        var existing: DatasetManifest? = nil
        if names.contains(DatasetLayout.manifest) {
            let found = try DatasetReader.readManifest(manifestPath)
            if rank == 0 && !resume {
                throw DatasetError(
                    path: directory,
                    reason: "already holds a dataset; use --resume to complete it, or an empty directory")
            }
            if let difference = found.mismatch(resuming: manifest(model: "")) {
                throw DatasetError(
                    path: manifestPath, reason: "does not match this run: the dataset has \(difference)")
            }
            existing = found
        } else {
            try checkNoForeignFiles(names)
        }
        if !resume { try checkNothingOfOurs(names) }
        try removeTemporaries(names)

        // Shards are global, so what any index lists is complete, whichever rank count wrote it.
        var complete = Set<Int>()
        var ownShards: [DatasetShard] = []
        let reference = existing ?? manifest(model: "")
        for name in names where !name.hasSuffix(DatasetLayout.temporarySuffix) {
            guard let indexRank = DatasetLayout.rankNumber(name) else { continue }
            let shards = try DatasetReader.readIndex(path(name), manifest: reference)
            complete.formUnion(shards.map(\.index))
            if indexRank == rank { ownShards = shards }
        }

        var report = Report()
        let probe = SimulatorHandoff()
        var model = existing?.model ?? ""
        if rank == 0 && existing == nil {
            let simulator = try makeSimulator(0)
            // A remote simulator handshakes on first use; the manifest needs its model name now.
            try (simulator as? PPXSimulator)?.connect()
            model = simulator.modelName
            probe.put(simulator)
            try DatasetFiles.writeStaged(
                IndexJSON.encode(IndexJSON.document(manifest(model: model))), to: manifestPath)
        }
        report.model = model
        try prepared()

        let mine = Array(stride(from: rank, to: reference.shardCount, by: rankCount))
        let missing = mine.filter { !complete.contains($0) }
        report.shardsSkipped = mine.count - missing.count
        let total = missing.reduce(0) { $0 + reference.traces(ofShard: $1).count }
        let expectedModel = model
        let opener: @Sendable (Int) throws -> any Simulator = { worker in
            let simulator = try probe.take(worker: worker) ?? makeSimulator(worker)
            if expectedModel.isEmpty { return simulator }
            return ModelCheckingSimulator(base: simulator, expected: expectedModel, manifestPath: manifestPath)
        }
        let state = RunStateBox(RunState(index: ownShards, completed: 0))
        // Consecutive missing shards of this rank (all of them when it is the only rank) run as one sampler run.
        var block = 0
        while block < missing.count {
            var end = block + 1
            while end < missing.count && missing[end] == missing[end - 1] + rankCount && rankCount == 1 { end += 1 }
            let shardNumbers = Array(missing[block..<end])
            let first = reference.traces(ofShard: shardNumbers[0]).lowerBound
            let last = reference.traces(ofShard: shardNumbers[shardNumbers.count - 1]).upperBound
            let sampled = try run(
                shards: shardNumbers, traces: first..<last, reference: reference, workers: workers, opener: opener,
                state: state, total: total, progress: progress)
            report.discardedTraces += sampled.discardedTraces
            report.restarts += sampled.restarts
            if report.model.isEmpty { report.model = sampled.modelName }
            block = end
        }
        state.mutex.withLock { state in
            report.shardsWritten = state.written
            report.tracesWritten = state.completed
            report.bytesWritten = state.bytes
        }
        return report
    }

    private struct RunState {
        var index: [DatasetShard]
        var completed: Int
        var written = 0
        var bytes = 0
        var current: ShardFileWriter? = nil
        var pending: [Int] = []
    }

    /// The run's state, shared with the sampler's consumer.
    private final class RunStateBox: Sendable {
        let mutex: Mutex<RunState>
        init(_ state: sending RunState) { mutex = Mutex(state) }
    }

    /// Samples `traces` and writes them into `shards` (consecutive global shards), publishing each as it fills.
    private func run(
        shards: [Int], traces: Range<Int>, reference: DatasetManifest, workers: Int,
        opener: @escaping @Sendable (Int) throws -> any Simulator, state: RunStateBox, total: Int,
        progress: (@Sendable (RunProgress) -> Void)?
    ) throws -> TraceSampler.Report {
        var sampling = TraceSampler.Configuration(
            mode: .simulateObservations, traceCount: traces.count, seed: configuration.seed,
            observations: configuration.observations,
            maxConsecutiveFailures: configuration.maxConsecutiveFailures)
        sampling.firstStream = UInt64(traces.lowerBound)
        state.mutex.withLock { $0.pending = shards.reversed() }
        let directory = directory, rank = rank, keepsLikelihoods = configuration.keepsLikelihoods
        do {
            return try TraceSampler(configuration: sampling).run(workers: workers, makeSimulator: opener) {
                _, batch in
                let done = try state.mutex.withLock { (state) throws -> Int in
                    for trace in batch {
                        if state.current == nil, let next = state.pending.popLast() {
                            state.current = try ShardFileWriter(
                                directory: directory, index: next, traces: reference.traces(ofShard: next),
                                keepsLikelihoods: keepsLikelihoods)
                        }
                        // A shard was opened just above: the batch lies within `traces`.
                        try state.current!.append(trace)
                        state.completed += 1
                        if state.current!.isFull {
                            let shard = try state.current!.finish()
                            state.current = nil
                            state.index.append(shard)
                            state.index.sort { $0.index < $1.index }
                            state.written += 1
                            state.bytes += shard.byteCount
                            let document = IndexJSON.RankIndexDocument(
                                format: IndexJSON.indexFormat, version: DatasetManifest.currentVersion, rank: rank,
                                shards: state.index.map(IndexJSON.document))
                            try DatasetFiles.writeStaged(
                                IndexJSON.encode(document), to: directory + "/" + DatasetLayout.index(rank: rank))
                        }
                    }
                    return state.completed
                }
                progress?(RunProgress(phase: .writing, completed: done, total: total))
            }
        } catch {
            state.mutex.withLock { state in
                state.current?.abandon()
                state.current = nil
            }
            throw error
        }
    }

    /// Without a manifest, the directory may hold only files of other ranks of this run starting at once.
    private func checkNoForeignFiles(_ names: [String]) throws(DatasetError) {
        for name in names {
            let isOurs =
                DatasetLayout.shardNumber(name) != nil || DatasetLayout.rankNumber(name) != nil
                || name == DatasetLayout.manifest + DatasetLayout.temporarySuffix
            guard isOurs else {
                throw DatasetError(
                    path: directory, reason: "is not empty and holds no dataset ('\(name)'); use an empty directory")
            }
        }
    }

    /// A new run must not overwrite any file this rank would write.
    private func checkNothingOfOurs(_ names: [String]) throws(DatasetError) {
        for name in names where !name.hasSuffix(DatasetLayout.temporarySuffix) {
            let isOwnShard = DatasetLayout.shardNumber(name).map { $0 % rankCount == rank } ?? false
            if isOwnShard || DatasetLayout.rankNumber(name) == rank {
                throw DatasetError(
                    path: path(name),
                    reason: "already exists; use --resume to complete the dataset, or an empty directory")
            }
        }
    }

    /// Removes temporaries left by a killed run: those of the shards and index files this rank now owns.
    private func removeTemporaries(_ names: [String]) throws(DatasetError) {
        for name in names where name.hasSuffix(DatasetLayout.temporarySuffix) {
            let owned: Bool
            if let shard = DatasetLayout.shardNumber(name) {
                owned = shard % rankCount == rank
            } else if let indexRank = DatasetLayout.rankNumber(name) {
                owned = indexRank % rankCount == rank
            } else {
                owned = rank == 0 && name == DatasetLayout.manifest + DatasetLayout.temporarySuffix
            }
            if owned { try DatasetFiles.remove(path(name)) }
        }
    }
}
