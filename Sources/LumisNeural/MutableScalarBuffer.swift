/// Read-write access to a flat buffer stored as float64 or float32 (a ``ParameterStore``'s values or gradients):
/// exactly one of the two pointers is non-empty unless the buffer is empty.
///
/// Valid only inside the `with…` closure that lends it.
public struct MutableScalarBuffer {
    /// The float64 elements (empty when stored as float32).
    public let float64: UnsafeMutableBufferPointer<Double>
    /// The float32 elements (empty when stored as float64).
    public let float32: UnsafeMutableBufferPointer<Float>

    /// A buffer over the given storage.
    public init(float64: UnsafeMutableBufferPointer<Double>, float32: UnsafeMutableBufferPointer<Float>) {
        self.float64 = float64
        self.float32 = float32
    }

    /// A float64 buffer.
    init(_ doubles: UnsafeMutableBufferPointer<Double>) {
        self.init(float64: doubles, float32: UnsafeMutableBufferPointer(start: nil, count: 0))
    }

    /// Whether the elements are float32.
    public var isFloat32: Bool { !float32.isEmpty }

    /// The number of elements.
    public var count: Int { isFloat32 ? float32.count : float64.count }

    /// The same elements, read-only.
    public var readOnly: ScalarBuffer {
        ScalarBuffer(float64: UnsafeBufferPointer(float64), float32: UnsafeBufferPointer(float32))
    }

    /// The element at `index`, as float64; setting rounds to float32 when stored as float32.
    public subscript(index: Int) -> Double {
        get { isFloat32 ? Double(float32[index]) : float64[index] }
        nonmutating set {
            if isFloat32 { float32[index] = Float(newValue) } else { float64[index] = newValue }
        }
    }

    /// Adds `value` to the element at `index`.
    public func add(_ value: Double, at index: Int) {
        if isFloat32 { float32[index] += Float(value) } else { float64[index] += value }
    }
}
