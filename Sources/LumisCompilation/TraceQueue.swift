import Foundation
import LumisCore

/// A bounded queue of traces between the simulator workers (producers) and the training loop (consumer).
///
/// Invariant (for `@unchecked Sendable`): every stored property is read and written only while `condition` is
/// locked.
final class TraceQueue: @unchecked Sendable {
    /// The training loop stopped; producers must stop too.
    struct Cancelled: Error {}

    private let condition = NSCondition()
    private var traces: [Trace] = []
    private var head = 0
    private var isFinished = false
    private var isCancelled = false
    private var failure: (any Error)?
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Appends traces, waiting while the queue is full.
    ///
    /// - Throws: ``Cancelled`` once the consumer has cancelled.
    func push(_ batch: [Trace]) throws {
        condition.lock()
        defer { condition.unlock() }
        while traces.count - head >= capacity && !isCancelled { condition.wait() }
        if isCancelled { throw Cancelled() }
        if head > capacity {
            traces.removeFirst(head)
            head = 0
        }
        traces.append(contentsOf: batch)
        condition.broadcast()
    }

    /// Marks the end of production, with the producers' error if they failed.
    func finish(error: (any Error)?) {
        condition.lock()
        isFinished = true
        if failure == nil { failure = error }
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the producers.
    func cancel() {
        condition.lock()
        isCancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// Takes up to `count` traces, waiting until that many are there or production has ended.
    ///
    /// - Returns: the traces; empty when production has ended and nothing is left.
    /// - Throws: the producers' error.
    func pop(_ count: Int) throws -> [Trace] {
        condition.lock()
        defer { condition.unlock() }
        while traces.count - head < count && !isFinished { condition.wait() }
        if let failure { throw failure }
        let end = min(head + count, traces.count)
        let batch = Array(traces[head..<end])
        head = end
        condition.broadcast()
        return batch
    }
}
