public import LumisCore
import LumisTensor

/// A request to embed an observation, before its shape is known (`--observe-embedding name[:arch][:dim]`).
public struct EmbeddingRequest: Sendable, Hashable {
    /// The observation's name.
    public var name: String
    /// The architecture, or `nil` to choose by shape.
    public var architecture: ObservationEmbeddingSpec.Architecture?
    /// The output size.
    public var dimension: Int

    /// Creates a request.
    public init(name: String, architecture: ObservationEmbeddingSpec.Architecture? = nil, dimension: Int = 32) {
        self.name = name
        self.architecture = architecture
        self.dimension = dimension
    }

    /// Parses `name`, `name:dim`, `name:arch` or `name:arch:dim` (arch is ff, cnn2d or cnn3d).
    ///
    /// - Throws: a message naming the bad part.
    public init(parsing text: String, defaultDimension: Int) throws(EmbeddingRequestError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let name = parts.first, !name.isEmpty, parts.count <= 3 else { throw EmbeddingRequestError(text: text) }
        var architecture: ObservationEmbeddingSpec.Architecture?
        var dimension = defaultDimension
        for part in parts.dropFirst() {
            if let size = Int(part), size > 0 {
                dimension = size
            } else if let arch = ObservationEmbeddingSpec.Architecture(rawValue: part), architecture == nil {
                architecture = arch
            } else {
                throw EmbeddingRequestError(text: text)
            }
        }
        self.init(name: name, architecture: architecture, dimension: dimension)
    }
}

/// An unparsable `--observe-embedding` value.
public struct EmbeddingRequestError: Error, Sendable, CustomStringConvertible {
    /// The text given.
    public var text: String
    /// A one-line message.
    public var description: String {
        "--observe-embedding \(text): expected name, name:dim, name:arch or name:arch:dim (arch ff, cnn2d, cnn3d)"
    }
}

extension ObservationEmbeddingSpec {
    /// The specs for `requests` with shapes taken from `example`'s observations; with no requests, every named
    /// observation of the example with the default settings (pyprob fixes shapes from the first trace,
    /// docs/reference/pyprob-engine.md §4.2).
    ///
    /// Each spec's `offset` and `scale` are the mean and stddev of its elements over `traces` (when given).
    /// - Throws: ``TrainingExample/Rejection/missingObservation(name:)`` if a requested name is not observed in
    ///   the example.
    public static func specs(
        for requests: [EmbeddingRequest], example: Trace, normalizingOver traces: [Trace] = [],
        defaultDimension: Int = 32
    ) throws(TrainingExample.Rejection) -> [ObservationEmbeddingSpec] {
        var chosen = requests
        if chosen.isEmpty {
            var seen = Set<String>()
            for entry in example.entries
            where entry.kind == .observe && !entry.name.isEmpty
                && seen.insert(entry.name).inserted
            {
                chosen.append(EmbeddingRequest(name: entry.name, dimension: defaultDimension))
            }
        }
        var specs: [ObservationEmbeddingSpec] = []
        for request in chosen {
            guard let value = example.entries.last(where: { $0.kind == .observe && $0.name == request.name })?.value,
                !value.isEmpty
            else { throw .missingObservation(name: request.name) }
            let architecture = request.architecture ?? Self.defaultArchitecture(for: value.shape)
            let fits: Bool
            switch architecture {
            case .feedForward: fits = true
            case .cnn2D: fits = value.shape.count == 2 || value.shape.count == 3
            case .cnn3D: fits = value.shape.count == 3 || value.shape.count == 4
            }
            guard fits else {
                throw .observationShape(
                    name: request.name, expected: architecture == .cnn2D ? 2 : 3,
                    found: value.shape.count)
            }
            var spec = ObservationEmbeddingSpec(
                name: request.name, shape: value.shape.isEmpty ? [1] : value.shape, architecture: architecture,
                dimension: request.dimension)
            var count = 0.0, sum = 0.0, sumOfSquares = 0.0
            for trace in traces {
                guard let observed = trace.entries.last(where: { $0.kind == .observe && $0.name == request.name })
                else { continue }
                for x in observed.value.scalars where x.isFinite {
                    count += 1
                    sum += x
                    sumOfSquares += x * x
                }
            }
            if count > 1 {
                let mean = sum / count
                let variance = max(sumOfSquares / count - mean * mean, 0)
                spec.offset = mean
                spec.scale = variance > 1e-12 ? variance.squareRoot() : 1
            }
            specs.append(spec)
        }
        return specs
    }
}
