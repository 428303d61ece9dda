/// A learnable table of `count` vectors of size `dimension`: row `k` is the embedding of index `k`.
///
/// Initialised `N(0, 1)` as pyprob's address and distribution-type embeddings.
public struct Embedding: Sendable, Hashable {
    /// The number of rows (distinct indices).
    public let count: Int
    /// The size of each vector.
    public let dimension: Int
    /// The table, `count × dimension`, row-major.
    public let table: ParameterRange

    /// Allocates the table in `store`, initialised deterministically from `seed`.
    ///
    /// - Precondition: `count > 0` and `dimension > 0`.
    public init(count: Int, dimension: Int, store: ParameterStore, seed: UInt64) {
        precondition(count > 0 && dimension > 0, "Embedding \(count) × \(dimension) must be non-empty")
        self.count = count
        self.dimension = dimension
        table = store.allocate(
            count * dimension, initialization: .normal(stddev: 1), seed: ParameterStore.derivedSeed(seed, 0))
    }

    /// The rows of the table for `indices`: a `indices.count × dimension` matrix.
    ///
    /// - Precondition: every index is in `0..<count`.
    public func forward(indices: [Int], store: ParameterStore) -> Matrix {
        var y = Matrix(zeros: indices.count, dimension)
        forward(indices: indices, into: &y, store: store)
        return y
    }

    /// The rows for `indices` written into `y` (resized to `indices.count × dimension`).
    ///
    /// - Precondition: every index is in `0..<count`.
    public func forward(indices: [Int], into y: inout Matrix, store: ParameterStore) {
        y.resize(rows: indices.count, columns: dimension)
        let (count, dimension, start) = (count, dimension, table.start)
        store.withValues { values in
            y.scalars.withUnsafeMutableBufferPointer { output in
                for (row, index) in indices.enumerated() {
                    precondition(index >= 0 && index < count, "Embedding index \(index) not in 0..<\(count)")
                    for k in 0..<dimension { output[row * dimension + k] = values[start + index * dimension + k] }
                }
            }
        }
    }

    /// Adds each row of `dy` to the gradient of the table row it came from (repeated indices accumulate).
    ///
    /// - Precondition: `dy` is `indices.count × dimension` and every index is in `0..<count`.
    public func backward(indices: [Int], outputGradient dy: Matrix, store: ParameterStore) {
        precondition(
            dy.rows == indices.count && dy.columns == dimension,
            "Embedding gradient is \(dy.rows) × \(dy.columns), expected \(indices.count) × \(dimension)")
        let (count, dimension, start) = (count, dimension, table.start)
        store.withGradients { gradients in
            dy.scalars.withUnsafeBufferPointer { outputGradient in
                for (row, index) in indices.enumerated() {
                    precondition(index >= 0 && index < count, "Embedding index \(index) not in 0..<\(count)")
                    for k in 0..<dimension {
                        gradients.add(outputGradient[row * dimension + k], at: start + index * dimension + k)
                    }
                }
            }
        }
    }
}
