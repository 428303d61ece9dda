public import LumisDistributions
public import LumisNeural
import LumisProposals

/// An LSTM inference network (Le, Baydin & Wood 2017; pyprob, docs/reference/pyprob-engine.md §4.4): for each
/// controlled draw of a trace it proposes a distribution given the observations and the draws before it.
///
/// Per controlled draw *t* the LSTM input is
/// `observation embedding ⊕ value embedding(x[t−1]) ⊕ kind(t−1) ⊕ address(t−1) ⊕ kind(t) ⊕ address(t)`
/// (the "previous" parts are zero at *t* = 0), and the LSTM output goes to the proposal head of address *t*.
/// Heads, address embeddings and value embeddings are created the first time an ``AddressKey`` is seen; their
/// initialisation is seeded by the key's text, so every run and rank builds the same network. Parameters live in
/// one ``ParameterStore``; new ones are appended, so an optimizer keeps its moments for the old ones.
public final class InferenceNetwork {
    /// One address's parameters.
    struct AddressEntry {
        var key: AddressKey
        /// Size of the value features (categories for a Categorical, else 1).
        var featureCount: Int
        /// Raw outputs of the head (`ProposalFamily.rawCount`).
        var rawCount: Int
        var embedding: ParameterRange
        var valueEmbedding: Dense
        var head: Dense
    }

    /// One address of the table, as stored in a network file: a head's key and sizes, not a `Site`.
    public struct AddressRecord: Sendable, Hashable, Codable {
        /// The address key.
        public var key: AddressKey
        /// The number of value features.
        public var featureCount: Int
        /// The number of raw head outputs.
        public var rawCount: Int
        /// How many training traces used this head.
        public var trainingCount: Int
    }

    /// The sizes.
    public let configuration: NetworkConfiguration
    /// Every parameter and its gradient.
    public internal(set) var store: ParameterStore
    let observationEmbedding: ObservationEmbedding
    let lstm: LSTM
    /// Per distribution kind (wire tag − 1), its embedding.
    let kindEmbeddings: [ParameterRange]
    var entries: [AddressEntry] = []
    var entryIndex: [AddressKey: Int] = [:]
    /// How many training traces used each entry's head.
    var trainingCounts: [Int] = []
    /// Whether training projects the observation embedding once per trace (``LSTM/Hoisted``) rather than at every
    /// step; `false` only in tests, as the reference the hoisted computation is checked against.
    package var hoistsObservations = true

    /// Creates a network with freshly initialised parameters and no addresses.
    public init(configuration: NetworkConfiguration) {
        self.configuration = configuration
        let store = ParameterStore(precision: configuration.precision)
        self.store = store
        observationEmbedding = ObservationEmbedding(
            specs: configuration.observations, store: store, seed: configuration.seed)
        lstm = LSTM(
            inputSize: configuration.lstmInput, hiddenSize: configuration.lstmHidden, layers: configuration.lstmLayers,
            store: store, seed: fnv1a64("lstm") ^ configuration.seed)
        kindEmbeddings = DistributionKind.allCases.map { kind in
            store.allocate(
                configuration.kindEmbedding, initialization: .uniform(bound: 3.0.squareRoot()),
                seed: fnv1a64("kind:" + kind.name) ^ configuration.seed)
        }
    }

    /// The addresses the network has heads for, in creation order.
    public var addresses: [AddressRecord] {
        entries.indices.map { i in
            AddressRecord(
                key: entries[i].key, featureCount: entries[i].featureCount, rawCount: entries[i].rawCount,
                trainingCount: trainingCounts[i])
        }
    }

    /// Whether the network has a head for `key`.
    public func contains(_ key: AddressKey) -> Bool { entryIndex[key] != nil }

    /// The index of the head that can propose a draw at `key` with prior `prior`: `nil` if the address is unseen,
    /// the draw is tensor-valued, or the prior does not fit the head (another family or size), so that the draw
    /// falls back to the prior.
    func usableEntry(for key: AddressKey, prior: Distribution) -> Int? {
        guard let index = entryIndex[key], prior.isScalarValued else { return nil }
        let entry = entries[index]
        let family = ProposalFamily(prior: prior, components: configuration.components)
        guard
            family.matches(prior) && family.rawCount == entry.rawCount
                && ValueFeatures.count(for: prior) == entry.featureCount
        else { return nil }
        return index
    }

    /// Adds the parameters of a new address; the sizes come from its prior.
    ///
    /// - Returns: whether the address was new.
    @discardableResult
    public func addAddress(_ key: AddressKey, prior: Distribution) -> Bool {
        guard entryIndex[key] == nil else { return false }
        let family = ProposalFamily(prior: prior, components: configuration.components)
        guard family.rawCount > 0 else { return false }
        addAddress(key, featureCount: ValueFeatures.count(for: prior), rawCount: family.rawCount)
        return true
    }

    /// Adds the parameters of a new address with known sizes (as when a network file is read).
    func addAddress(_ key: AddressKey, featureCount: Int, rawCount: Int, trainingCount: Int = 0) {
        precondition(entryIndex[key] == nil, "address \(key) already has a head")
        let seed = key.seed ^ configuration.seed
        let embedding = store.allocate(
            configuration.addressEmbedding, initialization: .uniform(bound: 3.0.squareRoot()), seed: seed)
        let valueEmbedding = Dense(
            inputSize: featureCount, outputSize: configuration.sampleEmbedding, store: store, seed: seed &+ 1)
        let head = Dense(inputSize: configuration.lstmHidden, outputSize: rawCount, store: store, seed: seed &+ 2)
        entryIndex[key] = entries.count
        entries.append(
            AddressEntry(
                key: key, featureCount: featureCount, rawCount: rawCount, embedding: embedding,
                valueEmbedding: valueEmbedding, head: head))
        trainingCounts.append(trainingCount)
    }

    /// The number of parameters.
    public var parameterCount: Int { store.count }

    // MARK: Column layout of one LSTM input row

    var previousValueColumn: Int { configuration.observationEmbedding }
    var previousKindColumn: Int { previousValueColumn + configuration.sampleEmbedding }
    var previousAddressColumn: Int { previousKindColumn + configuration.kindEmbedding }
    var currentKindColumn: Int { previousAddressColumn + configuration.addressEmbedding }
    var currentAddressColumn: Int { currentKindColumn + configuration.kindEmbedding }

    /// Writes the embedding in `range` of the store into columns starting at `column` of every row of `matrix`.
    func broadcast(_ range: ParameterRange, into matrix: inout Matrix, column: Int) {
        store.withValues { values in
            if values.isFloat32 {
                let row = values.float32[range.start..<range.end].map(Double.init)
                row.withUnsafeBufferPointer { matrix.broadcastRow($0, to: column) }
            } else {
                matrix.broadcastRow(UnsafeBufferPointer(rebasing: values.float64[range.start..<range.end]), to: column)
            }
        }
    }

    /// Adds the column sums of `gradient`'s columns `column..<column + range.count` into the store's gradient of
    /// `range`.
    func accumulate(_ gradient: Matrix, column: Int, into range: ParameterRange) {
        store.withGradients { gradients in
            if gradients.isFloat32 {
                var sums = [Double](repeating: 0, count: range.count)
                sums.withUnsafeMutableBufferPointer {
                    gradient.addColumnSums(column..<(column + range.count), into: $0)
                }
                for k in 0..<range.count { gradients.float32[range.start + k] += Float(sums[k]) }
            } else {
                gradient.addColumnSums(
                    column..<(column + range.count),
                    into: UnsafeMutableBufferPointer(rebasing: gradients.float64[range.start..<range.end]))
            }
        }
    }

    /// The kind embedding's range.
    func kindRange(_ kind: DistributionKind) -> ParameterRange { kindEmbeddings[Int(kind.rawValue) - 1] }
}
