public import LumisTensor

/// Observed values by name: the data a posterior is conditioned on.
public struct ObservationSet: Sendable, Equatable {
    /// The values by observation name.
    public var values: [String: Tensor]

    /// Creates a set from values by name.
    public init(_ values: [String: Tensor] = [:]) {
        self.values = values
    }

    /// The value observed under `name`, if any.
    public subscript(name: String) -> Tensor? {
        get { values[name] }
        set { values[name] = newValue }
    }

    /// Whether the set is empty.
    public var isEmpty: Bool { values.isEmpty }
}
