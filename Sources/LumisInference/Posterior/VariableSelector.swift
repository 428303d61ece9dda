/// Which value of each trace a posterior statistic is about.
///
/// Traces that lack the selected value are left out of that variable's statistics and counted
/// (``VariableStatistics/missingCount``).
public enum VariableSelector: Sendable, Hashable {
    /// The last entry labelled with this name in each trace, as pyprob's `trace[name]`.
    case name(String)
    /// The entry with this address text and instance number (1-based); the last one if several match.
    case address(String, instance: Int)
    /// The simulator's return value.
    case result
}

extension VariableSelector: CustomStringConvertible {
    /// The selector as it appears in messages and files: the name, `address__instance`, or `(result)`.
    public var description: String {
        switch self {
        case .name(let name): name
        case .address(let address, let instance): "\(address)__\(instance)"
        case .result: "(result)"
        }
    }
}
