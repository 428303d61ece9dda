/// A flat array of parameter-like values in one of the two storage formats (parameter files, optimizer state).
public enum ScalarArray: Sendable, Hashable {
    /// float64 values.
    case float64([Double])
    /// float32 values.
    case float32([Float])

    /// The number of values.
    public var count: Int {
        switch self {
        case .float64(let values): values.count
        case .float32(let values): values.count
        }
    }

    /// The storage format.
    public var precision: Precision {
        switch self {
        case .float64: .float64
        case .float32: .float32
        }
    }

    /// The values as float64 (exact for float32 values).
    public var doubles: [Double] {
        switch self {
        case .float64(let values): values
        case .float32(let values): values.map(Double.init)
        }
    }

    /// Whether every value is finite (a float64 value beyond float32's range becomes infinite when converted).
    public var isFinite: Bool {
        switch self {
        case .float64(let values): values.allSatisfy(\.isFinite)
        case .float32(let values): values.allSatisfy(\.isFinite)
        }
    }

    /// The values in `precision`: float64 to float32 rounds to nearest; float32 to float64 is exact.
    public func converted(to precision: Precision) -> ScalarArray {
        switch (self, precision) {
        case (.float64, .float64), (.float32, .float32): self
        case (.float64(let values), .float32): .float32(values.map(Float.init))
        case (.float32(let values), .float64): .float64(values.map(Double.init))
        }
    }
}
