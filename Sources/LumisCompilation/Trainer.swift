import Foundation
public import LumisCore
import LumisDistributions
public import LumisInference
public import LumisNeural

/// What a training run is asked to do.
public struct TrainingConfiguration: Sendable {
    /// How many new traces to train on in this run.
    public var traceCount: Int
    /// Traces per minibatch.
    public var batchSize: Int
    /// Validate every this many traces (and at the end).
    public var validateEvery: Int
    /// How many simulators produce traces at once.
    public var workers: Int
    /// How many failed trace attempts in a row a worker tolerates.
    public var maxConsecutiveFailures: Int
    /// Write a checkpoint at least this often (and at the end); `nil` for only at the end.
    public var checkpointInterval: Duration?

    /// Creates a configuration.
    ///
    /// - Precondition: `traceCount > 0`, `batchSize > 0`, `validateEvery > 0`, `workers > 0`.
    public init(
        traceCount: Int, batchSize: Int = 64, validateEvery: Int? = nil, workers: Int = 1,
        maxConsecutiveFailures: Int = 10, checkpointInterval: Duration? = nil
    ) {
        precondition(traceCount > 0 && batchSize > 0 && workers > 0, "counts must be positive")
        self.traceCount = traceCount
        self.batchSize = batchSize
        self.validateEvery = validateEvery ?? max(batchSize, traceCount / 20)
        precondition(self.validateEvery > 0, "validateEvery must be positive")
        self.workers = workers
        self.maxConsecutiveFailures = maxConsecutiveFailures
        self.checkpointInterval = checkpointInterval
    }
}

/// Training progress, for a progress line.
public struct TrainingProgress: Sendable {
    /// Traces trained on in this run.
    public var traces: Int
    /// Traces asked for in this run.
    public var total: Int
    /// Traces per second in this run.
    public var tracesPerSecond: Double
    /// The last batch's loss (mean over traces of `−Σ log q`).
    public var loss: Double?
    /// The last validation loss.
    public var validationLoss: Double?
    /// The current learning rate.
    public var learningRate: Double
    /// Batches skipped for a non-finite loss so far.
    public var skippedBatches: Int
    /// Addresses with heads.
    public var addresses: Int
}

/// A skipped batch: the draw whose proposal density was not finite.
public struct BadLoss: Sendable, CustomStringConvertible {
    /// Total traces trained on when it happened.
    public var traces: Int
    /// The offending address.
    public var key: AddressKey
    /// The offending value.
    public var value: Double

    /// A one-line message.
    public var description: String {
        "non-finite log proposal density at \(key), value \(value), after \(traces) traces: batch skipped"
    }
}

/// The state that continues across runs and is saved in network files.
public struct TrainingState: Sendable, Hashable, Codable {
    /// The seed of the training-data stream; trace *i* of the stream uses random stream *i*.
    public var seed: UInt64
    /// Traces trained on so far (the position in the data stream).
    public var traces: Int = 0
    /// Optimizer steps taken.
    public var iterations: Int = 0
    /// Batches skipped for a non-finite loss.
    public var skippedBatches: Int = 0
    /// Traces rejected (missing observation, unsupported draw).
    public var rejectedTraces: Int = 0
    /// The learning-rate schedule.
    public var schedule: LearningRateSchedule
    /// The last validation loss.
    public var validationLoss: Double?
    /// How many validation traces, and their seed.
    public var validationCount: Int
    /// The validation set's seed.
    public var validationSeed: UInt64

    /// Creates the state of a new network.
    public init(seed: UInt64, schedule: LearningRateSchedule, validationCount: Int = 256) {
        self.seed = seed
        self.schedule = schedule
        self.validationCount = validationCount
        validationSeed = SplitMix64.mix(seed ^ 0x7661_6c69_6461_7465)
    }
}

/// What a training run did.
public struct TrainingReport: Sendable {
    /// Traces trained on in this run.
    public var traces: Int
    /// Wall time of the run in seconds.
    public var seconds: Double
    /// The last batch's loss.
    public var loss: Double?
    /// The final validation loss.
    public var validationLoss: Double?
    /// Skipped batches in this run, with their reasons.
    public var badLosses: [BadLoss]
    /// Traces rejected in this run.
    public var rejectedTraces: Int
    /// Trace attempts discarded after simulator failures, and restarts.
    public var sampler: TraceSampler.Report?
}

/// Trains an inference network online: traces come from simulators running in parallel, in the
/// simulate-observations mode, while the network trains on them minibatch by minibatch.
public final class Trainer {
    /// The network.
    public let network: InferenceNetwork
    /// The optimizer, whose state (Adam's moments and per-group step counts, SGD's velocities) persists in
    /// network files.
    public var optimizer: Optimizer
    /// Counters and settings that persist across runs.
    public var state: TrainingState

    /// Creates a trainer.
    public init(network: InferenceNetwork, optimizer: Optimizer, state: TrainingState) {
        self.network = network
        self.optimizer = optimizer
        self.state = state
    }

    /// Runs `count` traces of `simulator` in the simulate-observations mode; trace *i* uses random stream
    /// `firstStream + i` of `seed`.
    public static func sampleTraces(
        count: Int, seed: UInt64, firstStream: UInt64 = 0, workers: Int, maxConsecutiveFailures: Int = 10,
        makeSimulator: @escaping @Sendable (Int) throws -> any Simulator
    ) throws -> (traces: [Trace], report: TraceSampler.Report) {
        var configuration = TraceSampler.Configuration(
            mode: .simulateObservations, traceCount: count, seed: seed,
            maxConsecutiveFailures: maxConsecutiveFailures)
        configuration.firstStream = firstStream
        let box = TraceBox()
        let report = try TraceSampler(configuration: configuration).run(
            workers: workers, makeSimulator: makeSimulator
        ) { _, traces in box.append(traces) }
        return (box.traces, report)
    }

    /// The validation examples: the state's fixed validation stream, reduced for the network.
    public func validationExamples(
        workers: Int, makeSimulator: @escaping @Sendable (Int) throws -> any Simulator
    ) throws -> [TrainingExample] {
        guard state.validationCount > 0 else { return [] }
        let traces = try Self.sampleTraces(
            count: state.validationCount, seed: state.validationSeed, workers: workers, makeSimulator: makeSimulator
        ).traces
        return traces.compactMap { try? TrainingExample(trace: $0, observations: network.configuration.observations) }
    }

    /// The mean over `examples` of `−Σ log q`, or `nil` if a term is not finite.
    public func meanLoss(_ examples: [TrainingExample], batchSize: Int) -> Double? {
        guard !examples.isEmpty else { return nil }
        var total = 0.0
        var start = 0
        while start < examples.count {
            let batch = Array(examples[start..<min(start + batchSize, examples.count)])
            guard let sum = network.evaluate(batch, gradients: false).sumLogProposal else { return nil }
            total -= sum
            start += batchSize
        }
        return total / Double(examples.count)
    }

    /// Trains on `configuration.traceCount` new traces of the data stream, continuing where the state left off.
    ///
    /// - Parameters:
    ///   - validation: the validation examples (see ``validationExamples(workers:makeSimulator:)``); their
    ///     addresses get heads before the first step.
    ///   - makeSimulator: creates worker *w*'s simulator, on that worker's thread.
    ///   - checkpoint: called with this trainer at every checkpoint interval and at the end.
    ///   - progress: called after every batch.
    /// - Returns: what the run did.
    /// - Throws: the simulators' or the checkpoint's errors; the producers are stopped first.
    public func train(
        _ configuration: TrainingConfiguration, validation: [TrainingExample],
        makeSimulator: @escaping @Sendable (Int) throws -> any Simulator,
        checkpoint: ((Trainer) throws -> Void)? = nil, progress: ((TrainingProgress) -> Void)? = nil
    ) throws -> TrainingReport {
        let clock = ContinuousClock()
        let start = clock.now
        var lastCheckpoint = start
        network.polymorph(validation)
        let queue = TraceQueue(capacity: max(4 * configuration.batchSize, 256))
        var samplerConfiguration = TraceSampler.Configuration(
            mode: .simulateObservations, traceCount: configuration.traceCount, seed: state.seed,
            maxConsecutiveFailures: configuration.maxConsecutiveFailures,
            chunkSize: min(64, configuration.batchSize))
        samplerConfiguration.firstStream = UInt64(state.traces)
        let sampler = TraceSampler(configuration: samplerConfiguration)
        let producer = Producer()
        let workers = configuration.workers
        let thread = Thread {
            do {
                let report = try sampler.run(workers: workers, makeSimulator: makeSimulator) { _, traces in
                    try queue.push(traces)
                }
                producer.finish(report)
                queue.finish(error: nil)
            } catch {
                producer.finish(nil)
                queue.finish(error: error)
            }
        }
        thread.start()
        defer {
            queue.cancel()
            producer.wait()
        }

        var report = TrainingReport(
            traces: 0, seconds: 0, loss: nil, validationLoss: state.validationLoss, badLosses: [], rejectedTraces: 0,
            sampler: nil)
        var nextValidation = configuration.validateEvery
        while report.traces < configuration.traceCount {
            let traces = try queue.pop(min(configuration.batchSize, configuration.traceCount - report.traces))
            if traces.isEmpty { break }
            var examples: [TrainingExample] = []
            examples.reserveCapacity(traces.count)
            for trace in traces {
                do {
                    examples.append(try TrainingExample(trace: trace, observations: network.configuration.observations))
                } catch {
                    report.rejectedTraces += 1
                    state.rejectedTraces += 1
                }
            }
            if !examples.isEmpty {
                network.polymorph(examples)
                network.store.zeroGradients()
                let outcome = network.evaluate(examples, gradients: true)
                if let sum = outcome.sumLogProposal {
                    optimizer.learningRate = state.schedule.learningRate(afterTraces: state.traces)
                    optimizer.update(network.store)
                    state.iterations += 1
                    report.loss = -sum / Double(examples.count)
                } else if let bad = outcome.nonFinite {
                    state.skippedBatches += 1
                    report.badLosses.append(BadLoss(traces: state.traces, key: bad.key, value: bad.value))
                }
            }
            state.traces += traces.count
            report.traces += traces.count
            if report.traces >= nextValidation || report.traces >= configuration.traceCount {
                nextValidation += configuration.validateEvery
                if let loss = meanLoss(validation, batchSize: configuration.batchSize) {
                    state.validationLoss = loss
                    report.validationLoss = loss
                }
            }
            let now = clock.now
            if let interval = configuration.checkpointInterval, now - lastCheckpoint >= interval,
                report.traces < configuration.traceCount
            {
                try checkpoint?(self)
                lastCheckpoint = now
            }
            progress?(
                TrainingProgress(
                    traces: report.traces, total: configuration.traceCount,
                    tracesPerSecond: Double(report.traces) / max((now - start) / .seconds(1), 1e-9),
                    loss: report.loss, validationLoss: report.validationLoss,
                    learningRate: state.schedule.learningRate(afterTraces: state.traces),
                    skippedBatches: state.skippedBatches, addresses: network.entries.count))
        }
        queue.cancel()
        report.sampler = producer.wait()
        report.seconds = (clock.now - start) / .seconds(1)
        try checkpoint?(self)
        return report
    }
}

/// Collects traces handed over by a sampler.
///
/// Invariant: `traces` is accessed only under `lock`.
private final class TraceBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Trace] = []
    func append(_ traces: [Trace]) { lock.withLock { stored.append(contentsOf: traces) } }
    var traces: [Trace] { lock.withLock { stored } }
}

/// The producer thread's outcome.
///
/// Invariant: `report` and `done` are accessed only under `condition`.
private final class Producer: @unchecked Sendable {
    private let condition = NSCondition()
    private var report: TraceSampler.Report?
    private var done = false

    func finish(_ report: TraceSampler.Report?) {
        condition.lock()
        self.report = report
        done = true
        condition.broadcast()
        condition.unlock()
    }

    @discardableResult
    func wait() -> TraceSampler.Report? {
        condition.lock()
        defer { condition.unlock() }
        while !done { condition.wait() }
        return report
    }
}
