import LumisTensor

/// The `mcmc` section of a posterior file: how the chains ran, what each did, and where each stopped
/// (docs/posterior-format.md, "The mcmc section").
public struct MCMCSummary: Sendable, Equatable {
    /// How many chains.
    public var chains: Int
    /// Proposals per chain after burn-in, as asked for.
    public var steps: Int
    /// Proposals per chain before the first kept draw.
    public var burnIn: Int
    /// The thinning interval.
    public var thin: Int
    /// The RMH step scale, `nil` for LMH.
    public var stepSize: Double?
    /// Whether every chain ran to the end; `false` when the run stopped on an error (see ``note``).
    public var isComplete: Bool
    /// Why the run stopped early, `nil` when complete.
    public var note: String?
    /// Kept draws per chain.
    public var drawsPerChain: [Int]
    /// What each chain's sampler did.
    public var statistics: [ChainStatistics]
    /// Each chain's last state (`nil` for a chain that never had one), to resume from.
    public var chainStates: [ChainState?]

    /// Creates a section.
    ///
    /// - Precondition: `drawsPerChain`, `statistics` and `chainStates` have one element per chain.
    public init(
        chains: Int, steps: Int, burnIn: Int, thin: Int, stepSize: Double?, isComplete: Bool, note: String?,
        drawsPerChain: [Int], statistics: [ChainStatistics], chainStates: [ChainState?]
    ) {
        precondition(
            drawsPerChain.count == chains && statistics.count == chains && chainStates.count == chains,
            "one record per chain")
        self.chains = chains
        self.steps = steps
        self.burnIn = burnIn
        self.thin = thin
        self.stepSize = stepSize
        self.isComplete = isComplete
        self.note = note
        self.drawsPerChain = drawsPerChain
        self.statistics = statistics
        self.chainStates = chainStates
    }

    /// Simulator restarts over all chains.
    public var restarts: Int { statistics.reduce(0) { $0 + $1.restarts } }

    var jsonValue: JSONValue {
        func counts(_ table: [String: Int]) -> JSONValue { .object(table.mapValues(JSONValue.integer)) }
        let chainStatistics: [JSONValue] = zip(drawsPerChain, statistics).map { draws, statistics in
            let reuseRate =
                statistics.controlledSamples > 0
                ? Double(statistics.reusedSamples) / Double(statistics.controlledSamples) : nil
            return .object([
                "draws": .integer(draws),
                "proposals": .integer(statistics.proposals),
                "accepted": .integer(statistics.accepted),
                "acceptance_rate": statistics.acceptanceRate.map(JSONValue.double) ?? .null,
                "proposals_by_address": counts(statistics.proposalsByAddress),
                "accepted_by_address": counts(statistics.acceptedByAddress),
                "reused_samples": .integer(statistics.reusedSamples),
                "controlled_samples": .integer(statistics.controlledSamples),
                "sample_reuse_rate": reuseRate.map(JSONValue.double) ?? .null,
                "restarts": .integer(statistics.restarts),
                "discarded_proposals": .integer(statistics.discardedProposals),
            ])
        }
        let states: [JSONValue] = chainStates.map { state in
            guard let state else { return .null }
            return .object([
                "steps": .integer(state.steps),
                "entries": .array(
                    state.entries.map { entry in
                        .object([
                            "address": .string(entry.address),
                            "instance": .integer(entry.instance),
                            "name": .string(entry.name),
                            "shape": .array(entry.value.shape.map(JSONValue.integer)),
                            "values": .array(entry.value.scalars.map(JSONValue.double)),
                        ])
                    }),
            ])
        }
        return .object([
            "chains": .integer(chains),
            "steps": .integer(steps),
            "burn_in": .integer(burnIn),
            "thin": .integer(thin),
            "step_size": stepSize.map(JSONValue.double) ?? .null,
            "complete": .bool(isComplete),
            "note": note.map(JSONValue.string) ?? .null,
            "draws_per_chain": .array(drawsPerChain.map(JSONValue.integer)),
            "acceptance_rate": .array(statistics.map { $0.acceptanceRate.map(JSONValue.double) ?? .null }),
            "restarts": .integer(restarts),
            "chain_statistics": .array(chainStatistics),
            "chain_states": .array(states),
        ])
    }

    init(field: Field) throws(FieldError) {
        let chains = try field.member("chains").count()
        func perChain(_ key: String) throws(FieldError) -> [Field] {
            let items = try field.member(key).array()
            guard items.count == chains else {
                throw FieldError(message: "\(field.keyPath).\(key): \(items.count) items for \(chains) chains")
            }
            return items
        }
        var statistics: [ChainStatistics] = []
        var draws: [Int] = []
        for item in try perChain("chain_statistics") {
            var record = ChainStatistics()
            draws.append(try item.member("draws").count())
            record.proposals = try item.member("proposals").count()
            record.accepted = try item.member("accepted").count()
            record.reusedSamples = try item.member("reused_samples").count()
            record.controlledSamples = try item.member("controlled_samples").count()
            record.restarts = try item.member("restarts").count()
            record.discardedProposals = try item.member("discarded_proposals").count()
            for (key, value) in try item.member("proposals_by_address").members() {
                record.proposalsByAddress[key] = try value.count()
            }
            for (key, value) in try item.member("accepted_by_address").members() {
                record.acceptedByAddress[key] = try value.count()
            }
            statistics.append(record)
        }
        var states: [ChainState?] = []
        for item in try perChain("chain_states") {
            if case .null = item.value {
                states.append(nil)
                continue
            }
            var entries: [ChainState.Entry] = []
            for entry in try item.member("entries").array() {
                let shape = try entry.member("shape").array().map { field throws(FieldError) in try field.count() }
                let values = try entry.member("values").array().map { field throws(FieldError) in try field.double() }
                guard Tensor.elementCount(of: shape) == values.count else {
                    throw FieldError(message: "\(entry.keyPath): shape \(shape) does not hold \(values.count) values")
                }
                let instance = try entry.member("instance").count()
                guard instance >= 1 else { throw FieldError(message: "\(entry.keyPath).instance: must be >= 1") }
                entries.append(
                    ChainState.Entry(
                        address: try entry.member("address").string(), instance: instance,
                        name: try entry.member("name").string(), value: Tensor(shape: shape, scalars: values)))
            }
            states.append(ChainState(steps: try item.member("steps").count(), entries: entries))
        }
        let thin = try field.member("thin").count()
        guard thin > 0 else { throw FieldError(message: "\(field.keyPath).thin: must be positive") }
        guard case .bool(let isComplete) = try field.member("complete").value else {
            throw FieldError(message: "\(field.keyPath).complete: expected true or false")
        }
        self.init(
            chains: chains, steps: try field.member("steps").count(), burnIn: try field.member("burn_in").count(),
            thin: thin,
            stepSize: try field.member("step_size").optional { field throws(FieldError) in try field.double() },
            isComplete: isComplete,
            note: try field.member("note").optional { field throws(FieldError) in try field.string() },
            drawsPerChain: draws, statistics: statistics, chainStates: states)
    }
}
