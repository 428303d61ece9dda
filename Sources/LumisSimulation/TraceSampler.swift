import Foundation
public import LumisCore
import LumisDistributions
import Synchronization

/// Runs many independent traces over one or more simulators, in parallel, reproducibly.
///
/// Trace *i* always uses random stream *i* of the seed, so the traces, and everything computed from them, are
/// the same for any number of workers. Workers claim chunks of trace indices; finished chunks are handed to
/// `consume` strictly in index order. A trace that fails recoverably (see ``SimulatorFailure``) is discarded
/// whole and run again with the same stream; at the ``Configuration/maxConsecutiveFailures``-th failure in a row
/// (the first, for 0 or 1) a worker gives up and the run stops with that failure.
public struct TraceSampler: Sendable {
    /// What to run.
    public struct Configuration: Sendable {
        /// Prior sampling or posterior inference.
        public var mode: TraceExecution.Mode
        /// How many traces to produce.
        public var traceCount: Int
        /// The seed of every trace's random stream.
        public var seed: UInt64
        /// The observed values.
        public var observations: ObservationSet
        /// The failure in a row at which a worker stops the run (0 and 1: the first).
        public var maxConsecutiveFailures: Int
        /// How many consecutive trace indices a worker claims at once.
        public var chunkSize: Int
        /// The random stream of trace 0: trace *i* uses stream `firstStream + i`, so a long stream of traces
        /// (such as a network's training data) can be produced in several runs exactly as in one.
        public var firstStream: UInt64 = 0
        /// The random stream of trace *i* when traces are not consecutive streams (one rank's share of each
        /// minibatch in data-parallel training); `nil` for `firstStream + i`.
        public var streamOfTrace: (@Sendable (Int) -> UInt64)?

        /// Creates a configuration.
        ///
        /// - Precondition: `traceCount >= 0`, `maxConsecutiveFailures >= 0`, `chunkSize > 0`.
        public init(
            mode: TraceExecution.Mode, traceCount: Int, seed: UInt64, observations: ObservationSet = ObservationSet(),
            maxConsecutiveFailures: Int = 10, chunkSize: Int = 64
        ) {
            precondition(traceCount >= 0 && maxConsecutiveFailures >= 0 && chunkSize > 0)
            self.mode = mode
            self.traceCount = traceCount
            self.seed = seed
            self.observations = observations
            self.maxConsecutiveFailures = maxConsecutiveFailures
            self.chunkSize = chunkSize
        }
    }

    /// Counters of what happened besides the traces themselves.
    public struct Report: Sendable, Equatable {
        /// Traces abandoned part-way (out of sync, simulator died or hung) and run again.
        public var discardedTraces = 0
        /// Simulator processes restarted.
        public var restarts = 0
        /// The model name the simulators reported.
        public var modelName = ""

        /// Creates zero counters.
        public init() {}
    }

    /// The configuration.
    public let configuration: Configuration

    /// Creates a sampler.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Runs every trace.
    ///
    /// - Parameters:
    ///   - workers: how many simulators run at once; each runs on a thread of its own.
    ///   - makeSimulator: creates worker *w*'s simulator, on that worker's thread.
    ///   - consume: receives finished traces in index order, a chunk at a time, on some worker's thread, never
    ///     concurrently with itself.
    /// - Returns: the counters.
    /// - Throws: the first error any worker met (a ``ModelError``, an unrecoverable or repeated
    ///   ``SimulatorFailure``, an interrupt); the run stops promptly on all workers.
    public func run(
        workers: Int,
        makeSimulator: @escaping @Sendable (Int) throws -> any Simulator,
        policy: @escaping @Sendable () -> any ProposalPolicy = { PriorProposal() },
        consume: @escaping @Sendable (_ firstIndex: Int, _ traces: [Trace]) throws -> Void
    ) throws -> Report {
        precondition(workers > 0, "workers must be positive")
        let shared = SharedState(
            chunkCount: (configuration.traceCount + configuration.chunkSize - 1)
                / configuration.chunkSize)
        let work: @Sendable (Int) -> Void = { worker in
            do {
                var simulator = try makeSimulator(worker)
                let counters = try self.work(simulator: &simulator, policy: policy(), shared: shared, consume: consume)
                shared.finish(counters: counters, modelName: simulator.modelName, restarts: simulator.restartCount)
            } catch {
                shared.fail(error)
            }
        }
        runOnWorkerThreads(workers, work)
        return try shared.result()
    }

    private func work(
        simulator: inout any Simulator, policy: any ProposalPolicy, shared: SharedState,
        consume: @Sendable (Int, [Trace]) throws -> Void
    ) throws -> Report {
        var report = Report()
        var execution = TraceExecution(
            observations: configuration.observations, mode: configuration.mode, policy: policy,
            generator: Xoshiro256StarStar(seed: configuration.seed, stream: 0))
        while let chunk = shared.claimChunk() {
            let start = chunk * configuration.chunkSize
            let end = min(start + configuration.chunkSize, configuration.traceCount)
            var traces: [Trace] = []
            traces.reserveCapacity(end - start)
            for index in start..<end {
                var failures = 0
                while true {
                    if shared.isStopped { return report }
                    let stream = configuration.streamOfTrace?(index) ?? configuration.firstStream &+ UInt64(index)
                    execution.restart(generator: Xoshiro256StarStar(seed: configuration.seed, stream: stream))
                    do {
                        let result = try simulator.run(&execution)
                        traces.append(execution.finish(result: result))
                        break
                    } catch let failure as SimulatorFailure where failure.isRecoverable {
                        report.discardedTraces += 1
                        failures += 1
                        guard failures < max(configuration.maxConsecutiveFailures, 1) else {
                            throw RepeatedFailure(failure: failure, attempts: failures)
                        }
                    }
                }
            }
            try shared.deposit(chunk: chunk, firstIndex: start, traces: traces, consume: consume)
        }
        return report
    }
}

/// A trace that failed too many times in a row.
public struct RepeatedFailure: Error, CustomStringConvertible {
    /// The last failure.
    public var failure: SimulatorFailure
    /// How many attempts failed in a row.
    public var attempts: Int

    /// Creates the error for `attempts` failures in a row ending with `failure`.
    public init(failure: SimulatorFailure, attempts: Int) {
        self.failure = failure
        self.attempts = attempts
    }

    /// A one-line message.
    public var description: String {
        "\(failure) (\(attempts) failed attempt\(attempts == 1 ? "" : "s in a row"); giving up, see --max-failures)"
    }
}

/// State shared by the workers of one run.
private final class SharedState: Sendable {
    private struct State {
        var nextChunk = 0
        var nextToConsume = 0
        var pending: [Int: (Int, [Trace])] = [:]
        var report = TraceSampler.Report()
        var error: (any Error)? = nil
    }

    private let chunkCount: Int
    private let state = Mutex(State())
    private let stopped = Atomic<Bool>(false)

    init(chunkCount: Int) { self.chunkCount = chunkCount }

    var isStopped: Bool { stopped.load(ordering: .relaxed) }

    func claimChunk() -> Int? {
        if isStopped { return nil }
        return state.withLock { state in
            guard state.nextChunk < chunkCount else { return nil }
            defer { state.nextChunk += 1 }
            return state.nextChunk
        }
    }

    /// Queues a finished chunk and hands every chunk that is now next in order to `consume`.
    func deposit(chunk: Int, firstIndex: Int, traces: [Trace], consume: (Int, [Trace]) throws -> Void) throws {
        try state.withLock { state in
            state.pending[chunk] = (firstIndex, traces)
            while let (first, ready) = state.pending.removeValue(forKey: state.nextToConsume) {
                try consume(first, ready)
                state.nextToConsume += 1
            }
        }
    }

    func finish(counters: TraceSampler.Report, modelName: String, restarts: Int) {
        state.withLock { state in
            state.report.discardedTraces += counters.discardedTraces
            state.report.restarts += restarts
            if state.report.modelName.isEmpty { state.report.modelName = modelName }
        }
    }

    func fail(_ error: any Error) {
        stopped.store(true, ordering: .relaxed)
        state.withLock { state in
            if state.error == nil { state.error = error }
        }
    }

    func result() throws -> TraceSampler.Report {
        try state.withLock { state in
            if let error = state.error { throw error }
            return state.report
        }
    }
}
