import Foundation
import LumisCore
import LumisDistributions
public import LumisNeural
import LumisStorage

/// A trained network on disk: parameters, optimizer state, configuration, address table and training state.
///
/// A network file is a LumisNeural ``ParameterFile`` (magic `LUMISPRM`, versioned, length-prefixed, FNV-1a
/// checksummed; see docs/neural.md) whose parameters are the network's ``ParameterStore``, whose optimizer section
/// is the trainer's full optimizer state (Adam's moments and per-group step counts), and whose opaque metadata is
/// the network description as UTF-8 JSON:
/// ```
/// {"format": "lumisnet", "version": 2, "configuration": …, "addresses": […], "training": …, "simulator": …}
/// ```
/// `simulator` (the ``SimulatorSignature``: model name and observation shapes) and `training.history` (the
/// ``LossPoint``s) were added later without a version change: a file without them reads as unknown and empty, and
/// earlier builds ignore them.
/// The address table lists heads in creation order; loading rebuilds the network by creating the same layers in
/// the same order, after checking that the description's parameter count equals the file's (so a damaged or
/// hostile description cannot make the loader allocate more than the file holds), then checks the layout range
/// by range.
public enum NetworkFile {
    /// The `format` value of a network description.
    public static let format = "lumisnet"
    /// The description version this build writes.
    ///
    /// Version 2 embeds `cnn2d`/`cnn3d` observations with CNNs;
    /// version 1 embedded them with the feed-forward stack, so a version-1 file is read only if it has none.
    public static let version = 2

    /// The JSON description stored as the parameter file's metadata.
    struct Header: Codable {
        var format: String
        var version: Int
        var configuration: NetworkConfiguration?
        var addresses: [InferenceNetwork.AddressRecord]?
        var training: TrainingState?
        var simulator: SimulatorSignature?
    }

    /// The file's content for a trainer's network and state.
    public static func parameterFile(_ trainer: Trainer) -> ParameterFile {
        let network = trainer.network
        let header = Header(
            format: format, version: version, configuration: network.configuration, addresses: network.addresses,
            training: trainer.state, simulator: network.signature.isUnknown ? nil : network.signature)
        // Encoding plain structs of numbers and strings cannot fail; a failure is a programming error.
        guard let tree = try? JSONValue(encoding: header) else { preconditionFailure("network header not encodable") }
        // Compact, `/` escaped and no final newline: the bytes network files have always had.
        let metadata = tree.text(
            style: JSONValue.Style(isIndented: false, escapesSlashes: true, endsWithNewline: false))
        return ParameterFile(store: network.store, optimizer: trainer.optimizer, metadata: Array(metadata.utf8))
    }

    /// The bytes of a trainer's network and state.
    public static func encode(_ trainer: Trainer) -> [UInt8] { parameterFile(trainer).encoded() }

    /// Writes a trainer's network and state to `path`, atomically (a reader never sees a half-written file).
    ///
    /// - Throws: ``NetworkFileError/parameters(_:)`` naming the failed system call.
    public static func write(_ trainer: Trainer, to path: String) throws(NetworkFileError) {
        do {
            try parameterFile(trainer).write(toFile: path)
        } catch {
            throw .parameters(error)
        }
    }

    /// Reads a network and its training state from `bytes`.
    ///
    /// - Throws: ``NetworkFileError`` naming what is wrong: the parameter file (magic, version, truncation,
    ///   checksum), the description, or the layout.
    public static func decode(_ bytes: [UInt8]) throws(NetworkFileError) -> Trainer {
        let file: ParameterFile
        do {
            file = try ParameterFile(decoding: bytes)
        } catch {
            throw .parameters(error)
        }
        return try trainer(from: file)
    }

    /// Reads a network file.
    ///
    /// - Throws: ``NetworkFileError``, wrapped in ``NetworkFileError/inFile(path:_:)``.
    public static func read(from path: String) throws(NetworkFileError) -> Trainer {
        try load(path) { (file) throws(NetworkFileError) in try trainer(from: file) }
    }

    /// Reads only the network of a network file: what inference needs, without a trainer or optimizer.
    ///
    /// - Throws: ``NetworkFileError``, wrapped in ``NetworkFileError/inFile(path:_:)``.
    public static func readNetwork(from path: String) throws(NetworkFileError) -> InferenceNetwork {
        try load(path) { (file) throws(NetworkFileError) in try network(from: file).network }
    }

    /// Reads only the network of a network file, with what identifies the file: the traces it was trained on and
    /// its checksum (FNV-1a 64 of its content, the parameter file's last 8 bytes).
    ///
    /// - Throws: ``NetworkFileError``, wrapped in ``NetworkFileError/inFile(path:_:)``.
    public static func readNetworkIdentified(
        from path: String
    ) throws(NetworkFileError) -> (network: InferenceNetwork, tracesSeen: Int, checksum: UInt64) {
        do throws(NetworkFileError) {
            let read: (file: ParameterFile, checksum: UInt64)
            do {
                read = try ParameterFile.readWithChecksum(contentsOfFile: path)
            } catch {
                throw .parameters(error)
            }
            let (network, training) = try network(from: read.file)
            return (network, training.traces, read.checksum)
        } catch {
            throw .inFile(path: path, error)
        }
    }

    /// Whether the file at `path` starts like a parameter file (magic `LUMISPRM`), so a command taking either a
    /// network or another file can tell which it was given; it says nothing of whether the file is valid.
    public static func looksLikeNetworkFile(atPath path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 8)) == Data("LUMISPRM".utf8)
    }

    /// Decodes the parameter file at `path` and builds `T` from it; errors name the path.
    private static func load<T>(
        _ path: String, _ build: (ParameterFile) throws(NetworkFileError) -> T
    ) throws(NetworkFileError) -> T {
        do throws(NetworkFileError) {
            let file: ParameterFile
            do {
                file = try ParameterFile(contentsOfFile: path)
            } catch {
                throw .parameters(error)
            }
            return try build(file)
        } catch {
            throw .inFile(path: path, error)
        }
    }

    /// Rebuilds the network and its training state, with the optimizer the file holds.
    static func trainer(from file: ParameterFile) throws(NetworkFileError) -> Trainer {
        let (network, training) = try network(from: file)
        let optimizer = file.optimizer ?? .adam(Adam(learningRate: training.schedule.initial))
        return Trainer(network: network, optimizer: optimizer, state: training)
    }

    /// Rebuilds the network a decoded parameter file describes, and its training state.
    private static func network(
        from file: ParameterFile
    ) throws(NetworkFileError) -> (network: InferenceNetwork, training: TrainingState) {
        guard file.metadata.first == UInt8(ascii: "{"),
            let probe = try? JSONValue.parse(file.metadata).decode(Header.self), probe.format == format
        else { throw .notANetwork }
        guard probe.version == version || probe.version == 1 else {
            throw .unsupportedVersion(probe.version, supported: version)
        }
        guard let configuration = probe.configuration, let addresses = probe.addresses, let training = probe.training
        else { throw .malformedHeader("the description lacks its configuration, addresses or training state") }
        if probe.version == 1, let spec = configuration.observations.first(where: { $0.architecture != .feedForward }) {
            throw .malformedHeader(
                "version 1 embedded observation \(spec.name) (\(spec.architecture.rawValue)) without a CNN; "
                    + "retrain the network with this build")
        }
        try validate(configuration, addresses)
        let signature = probe.simulator ?? .unknown
        for observation in signature.observations ?? []
        where observation.shape.count > 16 || observation.shape.contains(where: { $0 < 0 }) {
            throw .malformedHeader("observation \(observation.name.escapedForMessage) has an invalid shape")
        }
        guard let expected = configuration.parameterCount(addresses: addresses), expected == file.values.count else {
            throw .layoutMismatch(
                expected: configuration.parameterCount(addresses: addresses) ?? -1, found: file.values.count)
        }
        guard file.values.isFinite else { throw .malformedPayload("a parameter value is not finite") }
        let network = InferenceNetwork(configuration: configuration)
        for record in addresses {
            guard !network.contains(record.key) else { throw .malformedHeader("address \(record.key) listed twice") }
            network.addAddress(
                record.key, featureCount: record.featureCount, rawCount: record.rawCount,
                trainingCount: record.trainingCount)
        }
        guard network.store.ranges == file.ranges else {
            throw .layoutMismatch(expected: network.store.count, found: file.values.count)
        }
        // A file written before float32 storage (or in the other precision) is converted to the configuration's.
        network.store = file.makeStore(precision: configuration.precision)
        network.signature = signature
        return (network, training)
    }

    /// Checks sizes a hostile or damaged description could get wrong, before anything is computed from them.
    private static func validate(
        _ c: NetworkConfiguration, _ addresses: [InferenceNetwork.AddressRecord]
    ) throws(NetworkFileError) {
        let sizes = [c.lstmHidden, c.lstmLayers, c.sampleEmbedding, c.addressEmbedding, c.kindEmbedding, c.components]
        guard sizes.allSatisfy({ $0 > 0 && $0 <= 1 << 16 }) else {
            throw .malformedHeader("network sizes \(sizes) out of range")
        }
        guard Set(c.observations.map(\.name)).count == c.observations.count else {
            throw .malformedHeader("observation names repeat")
        }
        for spec in c.observations {
            let rankFits: Bool
            switch spec.architecture {
            case .feedForward: rankFits = spec.shape.count <= 4
            case .cnn2D: rankFits = spec.shape.count == 2 || spec.shape.count == 3
            case .cnn3D: rankFits = spec.shape.count == 3 || spec.shape.count == 4
            }
            guard rankFits, !spec.shape.isEmpty, spec.shape.allSatisfy({ $0 > 0 && $0 <= 1 << 24 }),
                spec.dimension > 0, spec.dimension <= 1 << 16, spec.depth > 0, spec.depth <= 64,
                spec.offset.isFinite, spec.scale.isFinite, spec.scale > 0,
                spec.hiddenWidth.map({ $0 > 0 && $0 <= 1 << 16 }) ?? true
            else { throw .malformedHeader("observation embedding \(spec.name) has invalid sizes") }
        }
        for record in addresses {
            guard record.featureCount > 0, record.featureCount <= 1 << 20, record.rawCount > 0,
                record.rawCount <= 1 << 20, record.key.instance > 0, record.trainingCount >= 0
            else { throw .malformedHeader("address \(record.key) has invalid sizes") }
        }
    }
}

/// What is wrong with a network file.
public enum NetworkFileError: Error, Equatable, CustomStringConvertible {
    /// The file is not a readable parameter file (wrong magic, version, truncated, corrupt) or cannot be
    /// accessed.
    case parameters(ParameterFileError)
    /// The file is a parameter file but does not describe an inference network.
    case notANetwork
    /// The network description's version is not one this build reads.
    case unsupportedVersion(Int, supported: Int)
    /// The network description is not valid.
    case malformedHeader(String)
    /// The parameters do not fit the network the description defines.
    case layoutMismatch(expected: Int, found: Int)
    /// The parameter values are not valid.
    case malformedPayload(String)
    /// An error in a named file.
    indirect case inFile(path: String, NetworkFileError)

    /// A one-line message.
    public var description: String {
        switch self {
        case .parameters(let error): "network file: \(error.description)"
        case .notANetwork: "a Lumis parameter file, but not an inference network (no lumisnet description)"
        case .unsupportedVersion(let found, let supported):
            "network description version \(found) is not supported (this build reads version \(supported))"
        case .malformedHeader(let reason): "network description is invalid: \(reason)"
        case .layoutMismatch(let expected, let found):
            "network file parameters do not fit its network: expected \(expected) parameters, found \(found)"
        case .malformedPayload(let reason): "network file parameters are invalid: \(reason)"
        case .inFile(let path, let error): "\(path): \(error)"
        }
    }
}

extension NetworkConfiguration {
    /// The number of parameters of a network with this configuration and these addresses, or `nil` if it does
    /// not fit in an `Int`; computed without allocating, so a loader can check a file's description first.
    ///
    /// Mirrors the allocations of ``InferenceNetwork/init(configuration:)`` and ``InferenceNetwork`` heads.
    func parameterCount(addresses: [InferenceNetwork.AddressRecord]) -> Int? {
        var total = Checked(0)
        for spec in observations {
            total = total + ObservationEmbedding.parameterCount(spec)
        }
        var width = Checked(lstmInput)
        for _ in 0..<lstmLayers {
            total = total + Checked(4 * lstmHidden) * (width + Checked(lstmHidden) + Checked(1))
            width = Checked(lstmHidden)
        }
        total = total + Checked(DistributionKind.allCases.count * kindEmbedding)
        for record in addresses {
            total = total + Checked(addressEmbedding)
            total = total + Checked(sampleEmbedding) * (Checked(record.featureCount) + Checked(1))
            total = total + Checked(record.rawCount) * Checked(lstmHidden + 1)
        }
        return total.value
    }
}

/// Integer arithmetic that turns overflow into `nil` instead of trapping (sizes come from files).
struct Checked {
    var value: Int?

    init(_ value: Int?) { self.value = value }

    static func + (a: Checked, b: Checked) -> Checked {
        guard let x = a.value, let y = b.value else { return Checked(nil) }
        let (sum, overflow) = x.addingReportingOverflow(y)
        return Checked(overflow ? nil : sum)
    }

    static func * (a: Checked, b: Checked) -> Checked {
        guard let x = a.value, let y = b.value else { return Checked(nil) }
        let (product, overflow) = x.multipliedReportingOverflow(by: y)
        return Checked(overflow ? nil : product)
    }
}
