import LumisCore
import LumisStorage
import LumisTensor

/// The `mcmc` section of a posterior file: how the chains ran and where each stopped (docs/posterior-format.md,
/// "The mcmc section"); what each chain did is in the file's per-chain records (``PosteriorSummary/chains``).
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
    /// Each chain's last state (`nil` for a chain that never had one), to resume from.
    public var chainStates: [ChainState?]

    /// Creates a section.
    ///
    /// - Precondition: `chainStates` has one element per chain.
    public init(
        chains: Int, steps: Int, burnIn: Int, thin: Int, stepSize: Double?, isComplete: Bool, note: String?,
        chainStates: [ChainState?]
    ) {
        precondition(chainStates.count == chains, "one state per chain")
        self.chains = chains
        self.steps = steps
        self.burnIn = burnIn
        self.thin = thin
        self.stepSize = stepSize
        self.isComplete = isComplete
        self.note = note
        self.chainStates = chainStates
    }

    var jsonValue: JSONValue {
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
            chainStates: states)
    }
}
