public import LumisCore
import LumisSimulation
import LumisTensor

/// The simulator a network was trained on: its model name and its observations' names and shapes.
///
/// The model name comes from the simulator's PPX handshake; every named observation of a training trace gives its
/// shape. Saved in the network file; IC inference refuses a simulator of another model and observed values of
/// other shapes, which a network cannot give sensible proposals for.
public struct SimulatorSignature: Sendable, Hashable, Codable {
    /// One named observation of the training traces.
    public struct Observation: Sendable, Hashable, Codable {
        /// The observation's name.
        public var name: String
        /// The observed value's shape (`[]` for a scalar).
        public var shape: [Int]

        /// Creates a record.
        public init(name: String, shape: [Int]) {
            self.name = name
            self.shape = shape
        }
    }

    /// The model name from the simulator's handshake; `nil` when unknown (a file written before it was recorded,
    /// or a simulator that sent no name).
    public var model: String?
    /// Every named observation of a training trace, sorted by name; `nil` when unknown.
    public var observations: [Observation]?

    /// Nothing known: a file written before the signature was recorded.
    public static let unknown = SimulatorSignature(model: nil, observations: nil)

    /// Creates a signature; an empty model name is recorded as unknown.
    public init(model: String?, observations: [Observation]?) {
        self.model = model?.isEmpty == false ? model : nil
        self.observations = observations?.sorted { $0.name < $1.name }
    }

    /// The signature of a simulator of model `model` whose traces look like `example`: each named observation's
    /// last value gives its shape.
    public init(model: String, example: Trace) {
        var shapes: [String: [Int]] = [:]
        for entry in example.entries where entry.kind == .observe && !entry.name.isEmpty {
            shapes[entry.name] = entry.value.shape
        }
        self.init(model: model, observations: shapes.map { Observation(name: $0.key, shape: $0.value) })
    }

    /// Whether nothing is known.
    public var isUnknown: Bool { model == nil && observations == nil }

    /// The recorded shape of observation `name`, if any.
    public func shape(of name: String) -> [Int]? { observations?.first { $0.name == name }?.shape }

    /// Checks a simulator's model name against the recorded one (nothing to check when it is unknown).
    ///
    /// - Throws: ``NetworkMismatch/model(network:simulator:)`` naming both.
    public func checkModel(_ simulatorModel: String) throws(NetworkMismatch) {
        guard let model, model != simulatorModel else { return }
        throw .model(network: model, simulator: simulatorModel)
    }

    /// Checks the shapes of the observed values against the recorded ones and the embedded observations'.
    ///
    /// A one-element value matches any one-element shape (simulators send scalars as `[]` or `[1]`).
    /// - Throws: ``NetworkMismatch/observationShape(name:network:given:)`` for the first value (by name) whose
    ///   shape differs.
    public func checkShapes(
        of observations: ObservationSet, embedded: [ObservationEmbeddingSpec]
    ) throws(NetworkMismatch) {
        for name in observations.values.keys.sorted() {
            guard let value = observations[name] else { continue }
            let expected = shape(of: name) ?? embedded.first { $0.name == name }?.shape
            guard let expected, !Self.sameShape(expected, value.shape) else { continue }
            throw .observationShape(name: name, network: expected, given: value.shape)
        }
    }

    /// Whether two shapes are the same, counting every one-element shape as a scalar.
    static func sameShape(_ a: [Int], _ b: [Int]) -> Bool {
        a == b || (Tensor.elementCount(of: a) == 1 && Tensor.elementCount(of: b) == 1)
    }
}

/// A simulator or observations that do not fit a network's ``SimulatorSignature``.
public enum NetworkMismatch: Error, Sendable, Equatable, CustomStringConvertible {
    /// The simulator's model name differs from the one the network was trained on.
    case model(network: String, simulator: String)
    /// An observed value's shape differs from the one the network was trained on.
    case observationShape(name: String, network: [Int], given: [Int])

    /// A one-line message naming both sides.
    public var description: String {
        switch self {
        case .model(let network, let simulator):
            "the network was trained on model '\(network.escapedForMessage)', but the simulator's model is "
                + "'\(simulator.escapedForMessage)'"
        case .observationShape(let name, let network, let given):
            "observation \(name.escapedForMessage) has shape \(given); the network was trained on shape \(network)"
        }
    }
}

/// A simulator whose model name is checked against a network's before its first trace.
///
/// A PPX simulator is connected first (the model name arrives in its handshake), so no trace of another model
/// is ever run.
struct SignatureCheckingSimulator: Simulator {
    var base: any Simulator
    let signature: SimulatorSignature
    private var isChecked = false

    init(base: any Simulator, signature: SimulatorSignature) {
        self.base = base
        self.signature = signature
    }

    var modelName: String { base.modelName }
    var restartCount: Int { base.restartCount }

    mutating func run(_ execution: inout TraceExecution) throws -> Tensor? {
        if !isChecked {
            if let remote = base as? PPXSimulator { try remote.connect() }
            try signature.checkModel(base.modelName)
            isChecked = true
        }
        return try base.run(&execution)
    }

    /// Wraps every simulator `makeSimulator` creates (unchanged when the signature has no model name).
    static func wrap(
        _ makeSimulator: @escaping @Sendable (Int) throws -> any Simulator, signature: SimulatorSignature
    ) -> @Sendable (Int) throws -> any Simulator {
        guard signature.model != nil else { return makeSimulator }
        return { worker in SignatureCheckingSimulator(base: try makeSimulator(worker), signature: signature) }
    }
}
