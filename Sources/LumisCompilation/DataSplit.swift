import LumisDistributed

/// How the traces of one training run are cut into global minibatches and shared out over the ranks.
///
/// The run trains on the data stream's positions `start..<start + count`. Global minibatch *j* holds positions
/// `start + j·B ..< start + min((j + 1)·B, count)` (`B` = ``batchSize``, the global batch), whatever the number of
/// ranks; rank *r* takes its ``Communicator/share(of:rank:size:)`` of each minibatch. So the data, and up to
/// summation order the gradients, are those of one process training on the whole minibatch, and a run can be
/// resumed with another number of ranks.
public struct DataSplit: Sendable, Equatable {
    /// The data-stream position of the run's first trace.
    public let start: Int
    /// How many traces the run trains on.
    public let count: Int
    /// Traces per global minibatch.
    public let batchSize: Int
    /// This rank.
    public let rank: Int
    /// How many ranks.
    public let size: Int

    /// Creates the split of `count` traces from position `start`.
    ///
    /// - Precondition: `start >= 0`, `count >= 0`, `batchSize >= size > 0` (every rank gets a part of every full
    ///   minibatch), `rank` in `0..<size`.
    public init(start: Int, count: Int, batchSize: Int, rank: Int = 0, size: Int = 1) {
        precondition(start >= 0 && count >= 0, "invalid data range")
        precondition(size > 0 && batchSize >= size, "the minibatch (\(batchSize)) must have a trace per rank (\(size))")
        precondition((0..<size).contains(rank), "rank \(rank) out of 0..<\(size)")
        self.start = start
        self.count = count
        self.batchSize = batchSize
        self.rank = rank
        self.size = size
    }

    /// The number of minibatches (the last may be short).
    public var batchCount: Int { (count + batchSize - 1) / batchSize }

    /// The data-stream positions of global minibatch `j`.
    public func globalBatch(_ j: Int) -> Range<Int> {
        precondition(j >= 0 && j < batchCount, "minibatch \(j) out of 0..<\(batchCount)")
        let lower = j * batchSize
        return (start + lower)..<(start + min(lower + batchSize, count))
    }

    /// The data-stream positions this rank trains on in minibatch `j`.
    public func localBatch(_ j: Int) -> Range<Int> {
        let global = globalBatch(j)
        let part = Communicator.share(of: global.count, rank: rank, size: size)
        return (global.lowerBound + part.lowerBound)..<(global.lowerBound + part.upperBound)
    }

    private var fullBatches: Int { count / batchSize }
    private var fullShare: Range<Int> { Communicator.share(of: batchSize, rank: rank, size: size) }
    private var lastShare: Range<Int> {
        Communicator.share(of: count - fullBatches * batchSize, rank: rank, size: size)
    }

    /// How many traces this rank trains on in the whole run.
    public var localCount: Int { fullBatches * fullShare.count + lastShare.count }

    /// The data-stream position of this rank's `i`-th trace (its shares of the minibatches, concatenated).
    ///
    /// - Precondition: `i` is in `0..<localCount`.
    public func localPosition(_ i: Int) -> Int {
        precondition(i >= 0 && i < localCount, "local trace \(i) out of 0..<\(localCount)")
        let perBatch = fullShare.count
        if i < fullBatches * perBatch {
            return start + (i / perBatch) * batchSize + fullShare.lowerBound + i % perBatch
        }
        return start + fullBatches * batchSize + lastShare.lowerBound + (i - fullBatches * perBatch)
    }
}
