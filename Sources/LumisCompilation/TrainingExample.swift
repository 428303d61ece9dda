public import LumisCore
public import LumisDistributions
public import LumisTensor

/// One training trace reduced to what the loss needs: the controlled draws and the embedded observations.
public struct TrainingExample: Sendable {
    /// The controlled draws' keys, in execution order; traces with equal keys form one sub-batch.
    public var keys: [AddressKey]
    /// The controlled draws' priors.
    public var priors: [Distribution]
    /// The controlled draws' values.
    public var values: [Tensor]
    /// Per embedded observation (sorted by name), its flattened value.
    public var observations: [[Double]]

    /// Why a trace cannot be used for training.
    public enum Rejection: Error, Sendable, Equatable, CustomStringConvertible {
        /// An embedded observation is missing from the trace.
        case missingObservation(name: String)
        /// An observation has another number of elements than the network's embedding expects.
        case observationShape(name: String, expected: Int, found: Int)
        /// A controlled draw has a non-scalar value (tensor-valued proposals are not supported yet).
        case nonScalarDraw(AddressKey)

        /// A one-line message.
        public var description: String {
            switch self {
            case .missingObservation(let name):
                "the trace has no observation named \(name) (simulate observations with mode .simulateObservations)"
            case .observationShape(let name, let expected, let found):
                "observation \(name) has \(found) elements; the network embeds \(expected)"
            case .nonScalarDraw(let key): "controlled draw \(key) is not a scalar (not supported by proposals yet)"
            }
        }
    }

    /// Reduces `trace` for a network embedding `observations`.
    ///
    /// - Throws: ``Rejection`` if the trace lacks an embedded observation or has an unsupported draw.
    public init(trace: Trace, observations: [ObservationEmbeddingSpec]) throws(Rejection) {
        keys = []
        priors = []
        values = []
        for entry in trace.entries where entry.kind == .sample && entry.isControlled {
            guard let prior = entry.distribution else { continue }
            let key = AddressKey(address: entry.address, instance: entry.instance, kind: prior.kind)
            guard entry.value.scalarCount == 1 else { throw .nonScalarDraw(key) }
            keys.append(key)
            priors.append(prior)
            values.append(entry.value)
        }
        self.observations = []
        for spec in observations {
            guard let value = trace.entries.last(where: { $0.kind == .observe && $0.name == spec.name })?.value else {
                throw .missingObservation(name: spec.name)
            }
            guard value.scalarCount == spec.elementCount else {
                throw .observationShape(name: spec.name, expected: spec.elementCount, found: value.scalarCount)
            }
            self.observations.append(Array(value.scalars))
        }
    }
}
