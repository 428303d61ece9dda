/// A dense, row-major tensor of `Double`, the value type of every random choice.
///
/// Storage is copy-on-write. A scalar has `shape == []` and one element, as on the PPX wire.
public struct Tensor: Sendable, Hashable {
    /// The elements in row-major order.
    public var scalars: ContiguousArray<Double>
    /// The extent of each dimension; `[]` for a scalar.
    public var shape: [Int]

    /// Creates a tensor from its elements and shape.
    ///
    /// - Precondition: every dimension is non-negative and their product equals `scalars.count`.
    public init(shape: [Int], scalars: ContiguousArray<Double>) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor shape \(shape) has a negative dimension")
        precondition(
            Tensor.elementCount(of: shape) == scalars.count,
            "Tensor shape \(shape) does not hold \(scalars.count) elements")
        self.shape = shape
        self.scalars = scalars
    }

    /// Creates a tensor from its elements and shape.
    ///
    /// - Precondition: every dimension is non-negative and their product equals `scalars.count`.
    public init(shape: [Int], scalars: [Double]) {
        self.init(shape: shape, scalars: ContiguousArray(scalars))
    }

    /// Creates a scalar (0-dimensional) tensor.
    public init(_ scalar: Double) {
        self.shape = []
        self.scalars = [scalar]
    }

    /// Creates a one-dimensional tensor.
    public init(_ vector: [Double]) {
        self.shape = [vector.count]
        self.scalars = ContiguousArray(vector)
    }

    /// The number of elements.
    public var scalarCount: Int { scalars.count }

    /// Whether the tensor has no elements; PPX uses such a tensor to mean "no value".
    public var isEmpty: Bool { scalars.isEmpty }

    /// The single element of a one-element tensor, whatever its shape, or `nil`.
    public var scalar: Double? { scalars.count == 1 ? scalars[0] : nil }

    /// The number of elements a tensor of `shape` holds.
    ///
    /// - Returns: the product of the dimensions, or `nil` if it overflows `Int`.
    public static func elementCount(of shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            count = product
        }
        return count
    }
}

extension Tensor: CustomStringConvertible {
    /// A compact rendering: the scalar itself, or the flat elements with the shape.
    public var description: String {
        if shape.isEmpty, let value = scalar { return "\(value)" }
        return "\(Array(scalars)) shape \(shape)"
    }
}
