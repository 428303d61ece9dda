import LumisStorage

extension CalibrationReport {
    /// How the engine under test ran, as the file's `settings` records it (docs/calibration.md), so that a
    /// calibration can be compared with another or rerun: MCMC's chains and, for IC and guided MCMC, which network.
    public struct Settings: Sendable, Equatable {
        /// MCMC: the chains per event, `nil` for the other engines.
        public var chains: Int?
        /// MCMC: proposals per chain before the first kept draw.
        public var burnIn: Int?
        /// MCMC: the thinning interval.
        public var thin: Int?
        /// RMH: the step scale.
        public var stepSize: Double?
        /// Guided MCMC: the probability of a whole-trace independence move at each step.
        public var networkMoveProbability: Double?
        /// IC and guided MCMC: the network, as a posterior file identifies it.
        public var network: MCMCSummary.NetworkRecord?

        /// Creates settings; the defaults are those of prior and importance sampling (nothing to record).
        public init(
            chains: Int? = nil, burnIn: Int? = nil, thin: Int? = nil, stepSize: Double? = nil,
            networkMoveProbability: Double? = nil, network: MCMCSummary.NetworkRecord? = nil
        ) {
            self.chains = chains
            self.burnIn = burnIn
            self.thin = thin
            self.stepSize = stepSize
            self.networkMoveProbability = networkMoveProbability
            self.network = network
        }

        /// One line for `lumis summary`, `nil` when there is nothing to say.
        public var description: String? {
            var parts: [String] = []
            if let chains, let burnIn, let thin {
                parts.append("chains: \(chains)  burn-in: \(burnIn)  thin: \(thin)")
            }
            if let stepSize { parts.append("step size: \(Variable.format(stepSize))") }
            if let networkMoveProbability {
                parts.append("network move probability: \(Variable.format(networkMoveProbability))")
            }
            if let network { parts.append("network: \(network.description)") }
            return parts.isEmpty ? nil : parts.joined(separator: "  ")
        }

        /// The `settings` object: only the keys that apply to the engine.
        var jsonValue: JSONValue {
            var members: [String: JSONValue] = [:]
            if let chains { members["chains"] = .integer(chains) }
            if let burnIn { members["burn_in"] = .integer(burnIn) }
            if let thin { members["thin"] = .integer(thin) }
            if let stepSize { members["step_size"] = .double(stepSize) }
            if let networkMoveProbability { members["network_move_probability"] = .double(networkMoveProbability) }
            if let network { members["network"] = network.jsonValue }
            return .object(members)
        }

        /// Reads a `settings` object written by ``jsonValue``.
        init(field: Field) throws(FieldError) {
            func count(_ key: String) throws(FieldError) -> Int? {
                try field.optionalMember(key).map { field throws(FieldError) in try field.count() }
            }
            func double(_ key: String) throws(FieldError) -> Double? {
                try field.optionalMember(key).map { field throws(FieldError) in try field.double() }
            }
            self.init(
                chains: try count("chains"), burnIn: try count("burn_in"), thin: try count("thin"),
                stepSize: try double("step_size"), networkMoveProbability: try double("network_move_probability"),
                network: try field.optionalMember("network").map { field throws(FieldError) in
                    try MCMCSummary.NetworkRecord(field: field)
                })
        }
    }
}
