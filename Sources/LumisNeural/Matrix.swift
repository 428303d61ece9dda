/// A dense, row-major matrix of `Double`: the value every layer takes and returns.
///
/// By convention rows are examples of a batch and columns are features, so a batch of `b` vectors of size `n` is a
/// `b × n` matrix. Storage is a copy-on-write array; element `(r, c)` is `scalars[r * columns + c]`.
public struct Matrix: Sendable, Equatable {
    /// The number of rows (the batch size, for layer inputs and outputs).
    public var rows: Int
    /// The number of columns (the feature count).
    public var columns: Int
    /// The elements in row-major order; `rows * columns` of them.
    public var scalars: [Double]

    /// Creates a matrix from its elements in row-major order.
    ///
    /// - Precondition: `rows >= 0`, `columns >= 0` and `scalars.count == rows * columns`.
    public init(rows: Int, columns: Int, scalars: [Double]) {
        precondition(rows >= 0 && columns >= 0, "Matrix dimensions \(rows) × \(columns) must be non-negative")
        precondition(
            scalars.count == rows * columns, "Matrix \(rows) × \(columns) cannot hold \(scalars.count) elements")
        self.rows = rows
        self.columns = columns
        self.scalars = scalars
    }

    /// Creates a `rows × columns` matrix of zeros.
    ///
    /// - Precondition: `rows >= 0` and `columns >= 0`.
    public init(zeros rows: Int, _ columns: Int) {
        precondition(rows >= 0 && columns >= 0, "Matrix dimensions \(rows) × \(columns) must be non-negative")
        self.rows = rows
        self.columns = columns
        self.scalars = Array(repeating: 0, count: rows * columns)
    }

    /// The element at `row`, `column`.
    ///
    /// - Precondition: both indices are in range.
    public subscript(row: Int, column: Int) -> Double {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "Matrix index out of range")
            return scalars[row * columns + column]
        }
        set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "Matrix index out of range")
            scalars[row * columns + column] = newValue
        }
    }

    /// The number of elements, `rows * columns`.
    public var count: Int { scalars.count }

    /// Reshapes in place to `rows × columns`, keeping the element buffer when its size already matches.
    ///
    /// Used to recycle output and workspace matrices between calls without reallocating. Elements are left as
    /// they were (zeros when the buffer had to grow); callers overwrite them.
    /// - Precondition: `rows >= 0` and `columns >= 0`.
    public mutating func resize(rows: Int, columns: Int) {
        precondition(rows >= 0 && columns >= 0, "Matrix dimensions \(rows) × \(columns) must be non-negative")
        let needed = rows * columns
        if scalars.count != needed {
            if scalars.count > needed {
                scalars.removeLast(scalars.count - needed)
            } else {
                scalars.append(contentsOf: repeatElement(0, count: needed - scalars.count))
            }
        }
        self.rows = rows
        self.columns = columns
    }
}
