import Foundation
public import LumisCore
public import LumisDistributed
import LumisDistributions
public import LumisNeural
public import LumisSimulation
import LumisTransport

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
    /// The loss at every validation so far, over all runs (a resumed run continues it); empty for a file written
    /// before it was recorded.
    public var history: [LossPoint] = []

    /// Creates the state of a new network.
    public init(seed: UInt64, schedule: LearningRateSchedule, validationCount: Int = 256) {
        self.seed = seed
        self.schedule = schedule
        self.validationCount = validationCount
        validationSeed = SplitMix64.mix(seed ^ 0x7661_6c69_6461_7465)
    }

    private enum CodingKeys: String, CodingKey {
        case seed, traces, iterations, skippedBatches, rejectedTraces, schedule, validationLoss, validationCount
        case validationSeed, history
    }

    /// Decodes a state; one written before the history was recorded has none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        seed = try container.decode(UInt64.self, forKey: .seed)
        traces = try container.decode(Int.self, forKey: .traces)
        iterations = try container.decode(Int.self, forKey: .iterations)
        skippedBatches = try container.decode(Int.self, forKey: .skippedBatches)
        rejectedTraces = try container.decode(Int.self, forKey: .rejectedTraces)
        schedule = try container.decode(LearningRateSchedule.self, forKey: .schedule)
        validationLoss = try container.decodeIfPresent(Double.self, forKey: .validationLoss)
        validationCount = try container.decode(Int.self, forKey: .validationCount)
        validationSeed = try container.decode(UInt64.self, forKey: .validationSeed)
        history = try container.decodeIfPresent([LossPoint].self, forKey: .history) ?? []
    }

    /// Encodes the state; an empty history is left out, so a state without one is written as before it existed.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(seed, forKey: .seed)
        try container.encode(traces, forKey: .traces)
        try container.encode(iterations, forKey: .iterations)
        try container.encode(skippedBatches, forKey: .skippedBatches)
        try container.encode(rejectedTraces, forKey: .rejectedTraces)
        try container.encode(schedule, forKey: .schedule)
        try container.encodeIfPresent(validationLoss, forKey: .validationLoss)
        try container.encode(validationCount, forKey: .validationCount)
        try container.encode(validationSeed, forKey: .validationSeed)
        if !history.isEmpty { try container.encode(history, forKey: .history) }
    }
}

/// What a training run did.
public struct TrainingReport: Sendable {
    /// Traces trained on in this run (over all ranks).
    public var traces: Int
    /// Wall time of the run in seconds.
    public var seconds: Double
    /// The last batch's loss.
    public var loss: Double?
    /// The final validation loss.
    public var validationLoss: Double?
    /// Skipped batches in this run whose non-finite density this rank saw, with their reasons.
    public var badLosses: [BadLoss]
    /// Traces rejected in this run (over all ranks).
    public var rejectedTraces: Int
    /// Trace attempts discarded after simulator failures, and restarts (this rank's simulators).
    public var sampler: TraceSampler.Report?
    /// Minibatches processed.
    public var steps = 0
    /// Seconds this rank spent computing steps: head creation, loss and gradient, optimizer update.
    public var computeSeconds = 0.0
    /// Seconds this rank spent in the steps' collectives (the gradient allreduce and the small agreement
    /// messages), including waiting for slower ranks; zero in a single process.
    public var communicationSeconds = 0.0
    /// Seconds of ``communicationSeconds`` spent in the allreduce of the gradient buffer alone (the ranks are
    /// already in step when it starts: the small message before it absorbs load imbalance).
    public var allreduceSeconds = 0.0
    /// Seconds this rank waited for its traces.
    public var dataSeconds = 0.0
    /// Bytes of the flat gradient buffer (the allreduce's payload per step).
    public var gradientBytes = 0
    /// How many ranks were checked to hold identical parameters and state at the end (1 in a single process).
    public var identicalRanks = 1
}

/// Ranks of a data-parallel run that ended up with different networks (a bug, never expected).
public struct RankDivergence: Error, CustomStringConvertible {
    /// A one-line message naming the ranks and what differs.
    public var description: String
}

/// Trains an inference network online: traces come from simulators running in parallel, in the
/// simulate-observations mode (or from a reader), while the network trains on them minibatch by minibatch.
///
/// Under MPI (a ``communicator`` of several ranks) training is data-parallel: each rank trains on its share of
/// every global minibatch (``DataSplit``) and the ranks' gradients are summed by one allreduce over the flat
/// gradient buffer per step, so every rank takes the same optimizer step and holds bit-identical parameters.
/// New addresses are agreed on before their heads are created, in the order one process would create them;
/// counters are reduced; a non-finite loss on any rank skips the step on all. See docs/distributed.md.
public final class Trainer {
    /// The network.
    public let network: InferenceNetwork
    /// The optimizer, whose state (Adam's moments and per-group step counts, SGD's velocities) persists in
    /// network files.
    public var optimizer: Optimizer
    /// Counters and settings that persist across runs.
    public var state: TrainingState
    /// The ranks training together; collectives are made from the thread that calls `train`.
    public var communicator: Communicator

    /// Creates a trainer.
    public init(
        network: InferenceNetwork, optimizer: Optimizer, state: TrainingState, communicator: Communicator = .single
    ) {
        self.network = network
        self.optimizer = optimizer
        self.state = state
        self.communicator = communicator
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

    /// This rank's part of the validation set: its ``Communicator/share(of:)`` of the state's fixed validation
    /// stream, reduced for the network.
    public func validationExamples(
        workers: Int, makeSimulator: @escaping @Sendable (Int) throws -> any Simulator
    ) throws -> [TrainingExample] {
        let part = communicator.share(of: state.validationCount)
        guard !part.isEmpty else { return [] }
        let traces = try Self.sampleTraces(
            count: part.count, seed: state.validationSeed, firstStream: UInt64(part.lowerBound), workers: workers,
            makeSimulator: SignatureCheckingSimulator.wrap(makeSimulator, signature: network.signature)
        ).traces
        return traces.compactMap { try? TrainingExample(trace: $0, observations: network.configuration.observations) }
    }

    /// The mean over `examples` of `−Σ log q`, or `nil` if a term is not finite (one process's examples).
    public func meanLoss(_ examples: [TrainingExample], batchSize: Int) -> Double? {
        guard let (total, count) = localLoss(examples, batchSize: batchSize), count > 0 else { return nil }
        return total / Double(count)
    }

    /// The mean over every rank's validation examples of `−Σ log q`, or `nil` if a term on some rank is not
    /// finite or there are none; the same value on every rank.
    public func validationLoss(_ examples: [TrainingExample], batchSize: Int) throws -> Double? {
        guard communicator.usesMPI else { return meanLoss(examples, batchSize: batchSize) }
        let local = localLoss(examples, batchSize: batchSize)
        var sums = [local?.total ?? 0, Double(local?.count ?? 0), local == nil ? 1 : 0]
        try communicator.allreduceSum(&sums)
        guard sums[2] == 0, sums[1] > 0 else { return nil }
        return sums[0] / sums[1]
    }

    /// `Σ −Σ log q` over `examples` and their count, or `nil` if a term is not finite.
    private func localLoss(_ examples: [TrainingExample], batchSize: Int) -> (total: Double, count: Int)? {
        var total = 0.0
        var start = 0
        while start < examples.count {
            let batch = Array(examples[start..<min(start + batchSize, examples.count)])
            guard let sum = network.evaluate(batch, gradients: false).sumLogProposal else { return nil }
            total -= sum
            start += batchSize
        }
        return (total, examples.count)
    }

    /// Trains on `configuration.traceCount` new traces from simulators, continuing where the state left off.
    ///
    /// See ``train(_:validation:data:checkpoint:progress:)``.
    public func train(
        _ configuration: TrainingConfiguration, validation: [TrainingExample],
        makeSimulator: @escaping @Sendable (Int) throws -> any Simulator,
        checkpoint: ((Trainer) throws -> Void)? = nil, progress: ((RunProgress) -> Void)? = nil
    ) throws -> TrainingReport {
        try train(
            configuration, validation: validation, data: .simulators(makeSimulator), checkpoint: checkpoint,
            progress: progress)
    }

    /// Trains on `configuration.traceCount` new traces of the data stream (over all ranks), continuing where the
    /// state left off.
    ///
    /// Under MPI every rank calls this with the same configuration and its own share of the validation set.
    ///
    /// - Parameters:
    ///   - validation: this rank's validation examples (see ``validationExamples(workers:makeSimulator:)``); their
    ///     addresses get heads before the first step.
    ///   - data: where the traces come from; simulators must be of the model the network was trained on, if
    ///     it is known (``InferenceNetwork/signature``).
    ///   - checkpoint: called on rank 0 with this trainer at every checkpoint interval and at the end, after
    ///     checking that every rank holds the same network.
    ///   - progress: called after every batch.
    /// - Returns: what the run did.
    /// - Throws: the trace source's, the collectives' or the checkpoint's errors (the producers are stopped
    ///   first); ``NetworkMismatch`` for a simulator of another model; ``RankDivergence`` if ranks disagree at a
    ///   checkpoint.
    public func train(
        _ configuration: TrainingConfiguration, validation: [TrainingExample], data: TrainingData,
        checkpoint: ((Trainer) throws -> Void)? = nil, progress: ((RunProgress) -> Void)? = nil
    ) throws -> TrainingReport {
        let clock = ContinuousClock()
        let start = clock.now
        var lastCheckpoint = start
        let split = DataSplit(
            start: state.traces, count: configuration.traceCount, batchSize: configuration.batchSize,
            rank: communicator.rank, size: communicator.size)
        var report = TrainingReport(
            traces: 0, seconds: 0, loss: nil, validationLoss: state.validationLoss, badLosses: [], rejectedTraces: 0,
            sampler: nil)
        try agreeOnHeads(for: validation, communicationSeconds: &report.communicationSeconds)
        let source: any BatchSource =
            switch data {
            case .simulators(let makeSimulator):
                SimulatorBatchSource(
                    split: split, seed: state.seed, workers: configuration.workers,
                    maxConsecutiveFailures: configuration.maxConsecutiveFailures,
                    makeSimulator: SignatureCheckingSimulator.wrap(makeSimulator, signature: network.signature))
            case .reader(let read): ReaderBatchSource(split: split, read: read)
            }
        defer { _ = source.stop() }

        var nextValidation = configuration.validateEvery
        // The training loss since the last validation: Σ −Σ log q and the examples it is over (all ranks).
        var windowLoss = 0.0
        var windowExamples = 0
        for j in 0..<split.batchCount {
            let isLast = j + 1 == split.batchCount
            let dataStart = clock.now
            var traces: [Trace] = []
            var stopping = false
            do {
                // A dataset source never waits on a socket, so the stop request is looked at here as well.
                if Interrupt.isRequested { throw ZMQSocket.WaitError.interrupted }
                traces = try source.batch(j)
            } catch  where Interrupt.isRequested {
                guard communicator.usesMPI else {
                    try checkpointBeforeStopping(checkpoint)
                    throw error
                }
                // Under MPI the other ranks are at this step's collectives: stop there together (below).
                stopping = true
            }
            let computeStart = clock.now
            report.dataSeconds += (computeStart - dataStart) / .seconds(1)
            let communicationBefore = report.communicationSeconds
            var examples: [TrainingExample] = []
            examples.reserveCapacity(traces.count)
            var rejected = 0
            for trace in traces {
                do {
                    examples.append(try TrainingExample(trace: trace, observations: network.configuration.observations))
                } catch {
                    rejected += 1
                }
            }
            let newAddresses = communicator.usesMPI && hasNewAddresses(examples) ? 1 : 0
            let counts = try timed(&report.communicationSeconds) {
                try communicator.allreduceSum([examples.count, traces.count, rejected, newAddresses, stopping ? 1 : 0])
            }
            if counts[4] > 0 {
                // A rank was asked to stop (SIGINT or SIGTERM, which a batch system sends every rank): every rank
                // drops this step and saves the state after the last whole one, as a single process does.
                try saveCheckpoint(checkpoint)
                throw ZMQSocket.WaitError.interrupted
            }
            let (globalExamples, globalTraces, globalRejected) = (counts[0], counts[1], counts[2])
            report.rejectedTraces += globalRejected
            state.rejectedTraces += globalRejected
            if !communicator.usesMPI {
                network.polymorph(examples)
            } else if counts[3] > 0 {
                try agreeOnHeads(for: examples, communicationSeconds: &report.communicationSeconds)
            }
            var checkpointNow = false
            if globalExamples > 0 {
                let countsBefore = network.trainingCounts
                network.store.zeroGradients()
                let outcome = network.evaluate(examples, gradients: true, normalizer: globalExamples)
                // Rank 0's clock decides checkpoints, so that every rank takes them after the same step.
                let wantsCheckpoint =
                    communicator.isRoot && !isLast
                    && configuration.checkpointInterval.map { clock.now - lastCheckpoint >= $0 } == true
                let step = try agreeOnStep(
                    outcome, countsBefore: countsBefore, wantsCheckpoint: wantsCheckpoint,
                    communicationSeconds: &report.communicationSeconds, allreduceSeconds: &report.allreduceSeconds)
                checkpointNow = step.checkpoint
                if let sum = step.sumLogProposal {
                    optimizer.learningRate = state.schedule.learningRate(afterTraces: state.traces)
                    optimizer.update(network.store)
                    state.iterations += 1
                    report.loss = -sum / Double(globalExamples)
                    windowLoss -= sum
                    windowExamples += globalExamples
                } else {
                    state.skippedBatches += 1
                    if let bad = outcome.nonFinite {
                        report.badLosses.append(BadLoss(traces: state.traces, key: bad.key, value: bad.value))
                    }
                }
            }
            report.computeSeconds +=
                (clock.now - computeStart) / .seconds(1) - (report.communicationSeconds - communicationBefore)
            state.traces += globalTraces
            report.traces += globalTraces
            report.steps += 1
            let validates = report.traces >= nextValidation || isLast
            if validates {
                nextValidation += configuration.validateEvery
                let loss = try validationLoss(validation, batchSize: configuration.batchSize)
                if let loss {
                    state.validationLoss = loss
                    report.validationLoss = loss
                }
                state.history.append(
                    LossPoint(
                        traces: state.traces, loss: windowExamples > 0 ? windowLoss / Double(windowExamples) : nil,
                        validationLoss: loss))
                (windowLoss, windowExamples) = (0, 0)
            }
            if checkpointNow {
                try saveCheckpoint(checkpoint)
                lastCheckpoint = clock.now
            }
            // At a validation the loss shown is the history point's (the mean since the previous validation).
            let shownLoss = validates ? state.history.last?.loss : report.loss
            progress?(
                RunProgress(
                    phase: .training, completed: min(report.traces, configuration.traceCount),
                    total: configuration.traceCount, isMilestone: validates,
                    measures: [
                        .init("loss", shownLoss), .init("validation", report.validationLoss),
                        .init("lr", state.schedule.learningRate(afterTraces: state.traces)),
                        .init("addresses", Double(network.entries.count)),
                        .init("skipped", Double(state.skippedBatches)),
                    ]))
        }
        report.sampler = source.stop()
        report.seconds = (clock.now - start) / .seconds(1)
        report.gradientBytes =
            network.store.count
            * (network.store.precision == .float32 ? MemoryLayout<Float>.stride : MemoryLayout<Double>.stride)
        report.identicalRanks = try saveCheckpoint(checkpoint)
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
