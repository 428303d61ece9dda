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
    /// The network-guided kernel (`--network`), `nil` for single-site moves only (then the file has neither
    /// `network_move_probability` nor `network`, exactly as before they existed).
    public var guide: Guide?

    /// The independence move of network-guided MCMC, as the file records it.
    public struct Guide: Sendable, Equatable {
        /// The probability of an independence move at each step.
        public var moveProbability: Double
        /// The network whose proposals it draws from.
        public var network: NetworkRecord

        /// Creates a record.
        public init(moveProbability: Double, network: NetworkRecord) {
            self.moveProbability = moveProbability
            self.network = network
        }
    }

    /// A network as a posterior file identifies it: what the network file says of itself.
    public struct NetworkRecord: Sendable, Equatable {
        /// The network file's name (its last path component), `nil` for a network given in memory.
        public var file: String?
        /// The simulator model the network was trained on, `nil` when the file does not record it.
        public var model: String?
        /// The traces the network was trained on, `nil` when not known.
        public var tracesSeen: Int?
        /// The file's own checksum as 16 lowercase hex digits.
        ///
        /// The FNV-1a 64 hash every parameter file ends with (docs/neural.md): two files with the same checksum hold the same network. `nil` in memory.
        public var checksum: String?

        /// Creates a record.
        public init(file: String?, model: String?, tracesSeen: Int?, checksum: String?) {
            self.file = file
            self.model = model
            self.tracesSeen = tracesSeen
            self.checksum = checksum
        }

        /// One line for a table header: `gum.lumisnet (model 'gum', 2048 traces seen, checksum 0123…)`.
        public var description: String {
            var details: [String] = []
            if let model { details.append("model '\(model.escapedForMessage)'") }
            if let tracesSeen { details.append("\(tracesSeen) traces seen") }
            if let checksum { details.append("checksum \(checksum)") }
            let name = file?.escapedForMessage ?? "(in memory)"
            return details.isEmpty ? name : "\(name) (\(details.joined(separator: ", ")))"
        }
    }

    /// Creates a section.
    ///
    /// - Precondition: `chainStates` has one element per chain.
    public init(
        chains: Int, steps: Int, burnIn: Int, thin: Int, stepSize: Double?, isComplete: Bool, note: String?,
        chainStates: [ChainState?], guide: Guide? = nil
    ) {
        precondition(chainStates.count == chains, "one state per chain")
        self.guide = guide
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
        var members: [String: JSONValue] = [
            "chains": .integer(chains),
            "steps": .integer(steps),
            "burn_in": .integer(burnIn),
            "thin": .integer(thin),
            "step_size": stepSize.map(JSONValue.double) ?? .null,
            "complete": .bool(isComplete),
            "note": note.map(JSONValue.string) ?? .null,
            "chain_states": .array(states),
        ]
        if let guide {
            members["network_move_probability"] = .double(guide.moveProbability)
            members["network"] = guide.network.jsonValue
        }
        return .object(members)
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
            chainStates: states, guide: try Self.guide(in: field))
    }

    /// The guided kernel's record, `nil` in a file of single-site moves (or one written before it was recorded).
    private static func guide(in field: Field) throws(FieldError) -> Guide? {
        guard let probabilityField = try field.optionalMember("network_move_probability") else { return nil }
        let probability = try probabilityField.double()
        guard probability > 0 && probability <= 1 else {
            throw FieldError(message: "\(probabilityField.keyPath): must be above 0 and at most 1")
        }
        return Guide(moveProbability: probability, network: try NetworkRecord(field: field.member("network")))
    }
}

extension MCMCSummary.NetworkRecord {
    /// The record as posterior and calibration files write it (unknown parts `null`).
    var jsonValue: JSONValue {
        .object([
            "file": file.map(JSONValue.string) ?? .null,
            "model": model.map(JSONValue.string) ?? .null,
            "traces_seen": tracesSeen.map(JSONValue.integer) ?? .null,
            "checksum": checksum.map(JSONValue.string) ?? .null,
        ])
    }

    /// Reads a record written by ``jsonValue``.
    init(field: Field) throws(FieldError) {
        self.init(
            file: try field.member("file").optional { field throws(FieldError) in try field.string() },
            model: try field.member("model").optional { field throws(FieldError) in try field.string() },
            tracesSeen: try field.member("traces_seen").optional { field throws(FieldError) in try field.count() },
            checksum: try field.member("checksum").optional { field throws(FieldError) in try field.string() })
    }
}
