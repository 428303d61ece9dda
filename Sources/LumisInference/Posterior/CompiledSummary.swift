import LumisStorage

/// The `ic` section of a posterior file, written by inference-compilation runs (`lumis infer --engine ic`): how
/// many controlled draws the network proposed and which fell back to the prior (docs/posterior-format.md, "The ic
/// section").
public struct CompiledSummary: Sendable, Equatable {
    /// Proposal heads (addresses) in the network.
    public var networkAddresses: Int
    /// Controlled draws over all traces of the posterior.
    public var controlledDraws: Int
    /// Controlled draws drawn from the prior because the network has no usable head for them, by address key
    /// (`address#instance:Kind`).
    public var priorFallbacks: [String: Int]

    /// Creates a section.
    ///
    /// - Precondition: the counts are non-negative.
    public init(networkAddresses: Int, controlledDraws: Int, priorFallbacks: [String: Int]) {
        precondition(
            networkAddresses >= 0 && controlledDraws >= 0 && priorFallbacks.values.allSatisfy { $0 >= 0 },
            "counts must be non-negative")
        self.networkAddresses = networkAddresses
        self.controlledDraws = controlledDraws
        self.priorFallbacks = priorFallbacks
    }

    /// All controlled draws that fell back to the prior.
    public var priorFallbackDraws: Int { priorFallbacks.values.reduce(0, +) }

    var jsonValue: JSONValue {
        .object([
            "network_addresses": .integer(networkAddresses),
            "controlled_draws": .integer(controlledDraws),
            "prior_fallback_draws": .integer(priorFallbackDraws),
            "prior_fallbacks": .object(priorFallbacks.mapValues(JSONValue.integer)),
        ])
    }

    init(field: Field) throws(FieldError) {
        var fallbacks: [String: Int] = [:]
        for (key, count) in try field.member("prior_fallbacks").members() { fallbacks[key] = try count.count() }
        self.init(
            networkAddresses: try field.member("network_addresses").count(),
            controlledDraws: try field.member("controlled_draws").count(), priorFallbacks: fallbacks)
        let total = try field.member("prior_fallback_draws")
        guard try total.count() == priorFallbackDraws else {
            throw FieldError(message: "\(total.keyPath): is not the sum of prior_fallbacks")
        }
    }
}
