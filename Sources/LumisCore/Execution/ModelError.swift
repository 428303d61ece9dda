public import LumisDistributions

/// A deterministic fault in what the simulator asked for: retrying the trace would fail the same way.
///
/// Each case names the statement's address (and instance), so a scientist can find the call site.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    /// A sample or observe carried invalid parameters (NaN, a negative stddev, an all-zero probability row...).
    case invalidDistribution(statement: String, address: String, instance: Int, DistributionError)
    /// A sample or observe arrived without a distribution (union tag NONE).
    case missingDistribution(statement: String, address: String, instance: Int)
    /// An observed value does not fit its likelihood (wrong shape, NaN).
    case invalidObservedValue(address: String, instance: Int, name: String, DistributionError)
    /// An observe had no value from the simulator and none in the observation set under its name.
    case missingObservation(address: String, instance: Int, name: String)
    /// A value chosen for a sample does not fit its prior (a proposal bug or a bad replayed value).
    case invalidSampleValue(address: String, instance: Int, DistributionError)

    /// A one-line message naming the statement and what is wrong; the simulator's address and name texts are
    /// quoted with non-printable characters escaped (``Swift/String/escapedForMessage``).
    public var description: String {
        switch self {
        case .invalidDistribution(let statement, let address, let instance, let error):
            "\(statement) at address \(address.escapedForMessage) (instance \(instance)): \(error)"
        case .missingDistribution(let statement, let address, let instance):
            "\(statement) at address \(address.escapedForMessage) (instance \(instance)) carries no distribution"
        case .invalidObservedValue(let address, let instance, let name, let error):
            "observed value for '\(name.escapedForMessage)' at address \(address.escapedForMessage) "
                + "(instance \(instance)): \(error)"
        case .missingObservation(let address, let instance, let name):
            name.isEmpty
                ? "observe at address \(address.escapedForMessage) (instance \(instance)) has no name and the "
                    + "simulator sent no value"
                : "no value for observation '\(name.escapedForMessage)' (address \(address.escapedForMessage), "
                    + "instance \(instance)): pass --observe \(name.escapedForMessage)=VALUE"
        case .invalidSampleValue(let address, let instance, let error):
            "value chosen for sample at address \(address.escapedForMessage) (instance \(instance)): \(error)"
        }
    }
}
