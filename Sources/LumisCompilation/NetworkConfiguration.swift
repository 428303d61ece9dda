public import LumisNeural

/// How one observed variable is embedded (pyprob, docs/reference/pyprob-engine.md §4.2).
public struct ObservationEmbeddingSpec: Sendable, Hashable, Codable {
    /// The architecture, chosen by the observation's shape unless given.
    public enum Architecture: String, Sendable, Hashable, Codable, CaseIterable {
        /// Dense layers with ReLU after each (scalars and vectors; any other shape is flattened).
        case feedForward = "ff"
        /// A small 2D CNN, for matrices `[H, W]` or `[C, H, W]`.
        case cnn2D = "cnn2d"
        /// A small 3D CNN, for volumes `[D, H, W]` or `[C, D, H, W]` (calorimeter-like data).
        case cnn3D = "cnn3d"
    }

    /// The observation's name.
    public var name: String
    /// The value's shape, fixed by the first training trace.
    public var shape: [Int]
    /// The architecture.
    public var architecture: Architecture
    /// The embedding's output size.
    public var dimension: Int
    /// The number of dense layers (feed-forward) or of final dense layers (CNNs).
    public var depth: Int
    /// Subtracted from every element before embedding (the training data's mean), so that observations of any
    /// scale reach the network standardised.
    public var offset: Double = 0
    /// Divides every element after `offset` (the training data's stddev).
    public var scale: Double = 1
    /// The width of the hidden dense layers, when not `(input + dimension) / 2` (the rule of networks made before
    /// it was recorded, and of every network whose rule stays within ``maximumFeedForwardHidden``).
    public var hiddenWidth: Int?

    /// A feed-forward embedding's hidden width at most: its input is the whole observation, and half of a
    /// 24,500-cell calorimeter image would make 300 million weights.
    public static let maximumFeedForwardHidden = 1024

    /// Creates a spec.
    ///
    /// - Precondition: `dimension > 0`, `depth > 0`, the shape has elements, and a CNN has a shape of the
    ///   right rank (2 or 3 for `cnn2D`, 3 or 4 for `cnn3D`).
    public init(name: String, shape: [Int], architecture: Architecture? = nil, dimension: Int = 32, depth: Int = 2) {
        precondition(dimension > 0 && depth > 0, "embedding dimension and depth must be positive")
        precondition(shape.allSatisfy { $0 > 0 }, "observation \(name) has an empty shape \(shape)")
        let chosen = architecture ?? Self.defaultArchitecture(for: shape)
        switch chosen {
        case .feedForward: break
        case .cnn2D: precondition(shape.count == 2 || shape.count == 3, "cnn2d needs [H, W] or [C, H, W]")
        case .cnn3D: precondition(shape.count == 3 || shape.count == 4, "cnn3d needs [D, H, W] or [C, D, H, W]")
        }
        self.name = name
        self.shape = shape
        self.architecture = chosen
        self.dimension = dimension
        self.depth = depth
        let halfway = (elementCount + dimension) / 2
        if chosen == .feedForward && halfway > Self.maximumFeedForwardHidden {
            hiddenWidth = Self.maximumFeedForwardHidden
        }
    }

    /// Feed-forward for scalars and vectors, 2D CNN for matrices, 3D CNN for volumes and 4-D `[C, D, H, W]`.
    public static func defaultArchitecture(for shape: [Int]) -> Architecture {
        switch shape.count {
        case 0, 1: .feedForward
        case 2: .cnn2D
        default: .cnn3D
        }
    }

    /// The number of elements of one value.
    public var elementCount: Int { shape.reduce(1, *) }
}

/// The sizes of an inference network; fixed when the network is created and stored in its file.
public struct NetworkConfiguration: Sendable, Hashable, Codable {
    /// The embedded observations, in sorted name order.
    public var observations: [ObservationEmbeddingSpec]
    /// The LSTM's hidden size.
    public var lstmHidden: Int
    /// The number of stacked LSTM layers.
    public var lstmLayers: Int
    /// The size of the previous value's embedding.
    public var sampleEmbedding: Int
    /// The size of an address embedding.
    public var addressEmbedding: Int
    /// The size of a distribution-kind embedding.
    public var kindEmbedding: Int
    /// The number of mixture components of each proposal.
    public var components: Int
    /// The seed of every initialisation that is not per address.
    public var seed: UInt64
    /// The format of the LSTM's products (LumisNeural's `Precision`); files from before it was recorded are
    /// float64.
    public var precision: Precision

    /// Creates a configuration; `observations` are sorted by name.
    ///
    /// - Precondition: every size positive, names distinct.
    public init(
        observations: [ObservationEmbeddingSpec], lstmHidden: Int = 64, lstmLayers: Int = 1, sampleEmbedding: Int = 4,
        addressEmbedding: Int = 16, kindEmbedding: Int = 4, components: Int = 3, seed: UInt64 = 0,
        precision: Precision = .float64
    ) {
        precondition(
            lstmHidden > 0 && lstmLayers > 0 && sampleEmbedding > 0 && addressEmbedding > 0 && kindEmbedding > 0
                && components > 0, "network sizes must be positive")
        let sorted = observations.sorted { $0.name < $1.name }
        precondition(Set(sorted.map(\.name)).count == sorted.count, "observation names must be distinct")
        self.observations = sorted
        self.lstmHidden = lstmHidden
        self.lstmLayers = lstmLayers
        self.sampleEmbedding = sampleEmbedding
        self.addressEmbedding = addressEmbedding
        self.kindEmbedding = kindEmbedding
        self.components = components
        self.seed = seed
        self.precision = precision
    }

    private enum CodingKeys: String, CodingKey {
        case observations, lstmHidden, lstmLayers, sampleEmbedding, addressEmbedding, kindEmbedding, components, seed
        case precision
    }

    /// Decodes a configuration; one written before the precision was recorded is float64.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        observations = try container.decode([ObservationEmbeddingSpec].self, forKey: .observations)
        lstmHidden = try container.decode(Int.self, forKey: .lstmHidden)
        lstmLayers = try container.decode(Int.self, forKey: .lstmLayers)
        sampleEmbedding = try container.decode(Int.self, forKey: .sampleEmbedding)
        addressEmbedding = try container.decode(Int.self, forKey: .addressEmbedding)
        kindEmbedding = try container.decode(Int.self, forKey: .kindEmbedding)
        components = try container.decode(Int.self, forKey: .components)
        seed = try container.decode(UInt64.self, forKey: .seed)
        precision = try container.decodeIfPresent(Precision.self, forKey: .precision) ?? .float64
    }

    /// The size of the concatenated observation embedding.
    public var observationEmbedding: Int { observations.reduce(0) { $0 + $1.dimension } }

    /// The size of one LSTM input: observation ⊕ previous value ⊕ previous kind ⊕ previous address ⊕ current
    /// kind ⊕ current address (pyprob, docs/reference/pyprob-engine.md §4.4).
    public var lstmInput: Int { observationEmbedding + sampleEmbedding + 2 * (kindEmbedding + addressEmbedding) }
}
