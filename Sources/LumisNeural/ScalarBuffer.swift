/// Read access to a flat buffer stored as float64 or float32 (a ``ParameterStore``'s values, or an activation
/// passed to a product): exactly one of the two pointers is non-empty unless the buffer is empty.
///
/// Valid only inside the `with…` closure that lends it.
public struct ScalarBuffer {
    /// The float64 elements (empty when stored as float32).
    public let float64: UnsafeBufferPointer<Double>
    /// The float32 elements (empty when stored as float64).
    public let float32: UnsafeBufferPointer<Float>

    /// A buffer over the given storage.
    public init(float64: UnsafeBufferPointer<Double>, float32: UnsafeBufferPointer<Float>) {
        self.float64 = float64
        self.float32 = float32
    }

    /// A float64 buffer.
    init(_ doubles: UnsafeBufferPointer<Double>) {
        self.init(float64: doubles, float32: UnsafeBufferPointer(start: nil, count: 0))
    }

    /// Whether the elements are float32.
    public var isFloat32: Bool { !float32.isEmpty }

    /// The number of elements.
    public var count: Int { isFloat32 ? float32.count : float64.count }

    /// The element at `index`, as float64.
    public subscript(index: Int) -> Double {
        isFloat32 ? Double(float32[index]) : float64[index]
    }
}
