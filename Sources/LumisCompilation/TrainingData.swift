import Foundation
public import LumisCore
import LumisDistributed
import LumisInference
import LumisSimulation

/// Where a training run's traces come from.
///
/// Either way the trace at data-stream position *p* is fixed (random
/// stream *p* of the state's seed, or record *p* of a reader), so the data do not depend on workers or ranks.
public enum TrainingData {
    /// Simulators in the simulate-observations mode, `TrainingConfiguration.workers` of them per rank; the trace
    /// at position *p* uses random stream *p* of the state's seed. The closure creates worker *w*'s simulator on
    /// that worker's thread.
    case simulators(@Sendable (Int) throws -> any Simulator)
    /// A reader returning the traces at the given data-stream positions, in order (called on the training thread,
    /// once per minibatch with this rank's share of it).
    case reader((Range<Int>) throws -> [Trace])

    /// A reader over `count` stored traces, cycled in order: position *p* is stored trace `p mod count`, so
    /// training for more traces than are stored runs epochs over them.
    ///
    /// - Parameter read: returns stored traces `range` (a subrange of `0..<count`), in order.
    /// - Precondition: `count > 0`.
    public static func cycling(count: Int, read: @escaping (Range<Int>) throws -> [Trace]) -> TrainingData {
        precondition(count > 0, "a cycled reader needs at least one trace")
        return .reader { positions in
            var traces: [Trace] = []
            traces.reserveCapacity(positions.count)
            var position = positions.lowerBound
            while position < positions.upperBound {
                let first = position % count
                let length = min(positions.upperBound - position, count - first)
                traces.append(contentsOf: try read(first..<(first + length)))
                position += length
            }
            return traces
        }
    }
}

/// Hands the training loop this rank's share of each minibatch.
protocol BatchSource {
    /// This rank's traces of global minibatch `j`, in data-stream order.
    func batch(_ j: Int) throws -> [Trace]
    /// Stops production; the simulators' counters, if simulators produced the traces.
    func stop() -> TraceSampler.Report?
}

/// Traces read on demand.
struct ReaderBatchSource: BatchSource {
    let split: DataSplit
    let read: (Range<Int>) throws -> [Trace]

    func batch(_ j: Int) throws -> [Trace] {
        let positions = split.localBatch(j)
        guard !positions.isEmpty else { return [] }
        let traces = try read(positions)
        guard traces.count == positions.count else {
            throw TrainingDataError(
                "the trace reader returned \(traces.count) traces for positions \(positions) (expected "
                    + "\(positions.count))")
        }
        return traces
    }

    func stop() -> TraceSampler.Report? { nil }
}

/// Simulators on a producer thread, filling a bounded queue with this rank's traces in data-stream order.
final class SimulatorBatchSource: BatchSource {
    private let split: DataSplit
    private let queue: TraceQueue
    private let producer = Producer()
    private var stopped = false

    init(
        split: DataSplit, seed: UInt64, workers: Int, maxConsecutiveFailures: Int,
        makeSimulator: @escaping @Sendable (Int) throws -> any Simulator
    ) {
        self.split = split
        let perBatch = max(Communicator.sharePerBatch(split), 1)
        queue = TraceQueue(capacity: max(4 * perBatch, 256))
        var configuration = TraceSampler.Configuration(
            mode: .simulateObservations, traceCount: split.localCount, seed: seed,
            maxConsecutiveFailures: maxConsecutiveFailures, chunkSize: min(64, perBatch))
        configuration.streamOfTrace = { UInt64(split.localPosition($0)) }
        let sampler = TraceSampler(configuration: configuration)
        let (queue, producer) = (queue, producer)
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
    }

    deinit { _ = stop() }

    func batch(_ j: Int) throws -> [Trace] {
        let expected = split.localBatch(j).count
        guard expected > 0 else { return [] }
        let traces = try queue.pop(expected)
        guard traces.count == expected else {
            throw TrainingDataError("the simulators stopped after too few traces (minibatch \(j))")
        }
        return traces
    }

    func stop() -> TraceSampler.Report? {
        queue.cancel()
        return producer.wait()
    }
}

/// A trace source that broke its contract.
public struct TrainingDataError: Error, CustomStringConvertible {
    /// A one-line message.
    public var description: String

    init(_ description: String) { self.description = description }
}

extension Communicator {
    /// This rank's traces per full minibatch of `split`.
    fileprivate static func sharePerBatch(_ split: DataSplit) -> Int {
        share(of: split.batchSize, rank: split.rank, size: split.size).count
    }
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

    func wait() -> TraceSampler.Report? {
        condition.lock()
        defer { condition.unlock() }
        while !done { condition.wait() }
        return report
    }
}
