import Foundation
import LumisNeural

/// A trained network on disk: configuration, address table, training state, parameters and optimizer state.
///
/// Layout (all integers little-endian), version 1:
/// ```
/// 0   8 bytes   magic "LUMISNET"
/// 8   UInt32    format version (1)
/// 12  UInt64    header length H
/// 20  H bytes   header: UTF-8 JSON {"configuration", "addresses", "training", "parameter_count"}
///     UInt64    payload length P
///     P bytes   payload: the ParameterStore and the Adam state in LumisNeural's parameter-file format
///     UInt64    FNV-1a 64 of every byte before it
/// ```
/// The address table lists heads in creation order; loading rebuilds the network by creating the same layers in
/// the same order, then checks that the parameter layout matches the payload's.
public enum NetworkFile {
    /// The magic bytes.
    public static let magic = Array("LUMISNET".utf8)
    /// The version this build writes and reads.
    public static let version: UInt32 = 1

    /// The JSON header.
    struct Header: Codable {
        var configuration: NetworkConfiguration
        var addresses: [InferenceNetwork.AddressRecord]
        var training: TrainingState
        var parameterCount: Int

        enum CodingKeys: String, CodingKey {
            case configuration, addresses, training
            case parameterCount = "parameter_count"
        }
    }

    /// The bytes of a trainer's network and state.
    public static func encode(_ trainer: Trainer) throws -> [UInt8] {
        let network = trainer.network
        let header = Header(
            configuration: network.configuration, addresses: network.addresses, training: trainer.state,
            parameterCount: network.store.count)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let headerBytes = Array(try encoder.encode(header))
        let payload = try NeuralPayload.encode(store: network.store, optimizer: trainer.optimizer)
        var bytes = magic
        bytes.appendLittleEndian(version)
        bytes.appendLittleEndian(UInt64(headerBytes.count))
        bytes += headerBytes
        bytes.appendLittleEndian(UInt64(payload.count))
        bytes += payload
        bytes.appendLittleEndian(fnv1a64(bytes))
        return bytes
    }

    /// Writes a trainer's network and state to `path`, atomically (a reader never sees a half-written file).
    ///
    /// - Throws: ``NetworkFileError/io(path:reason:)`` if the file cannot be written.
    public static func write(_ trainer: Trainer, to path: String) throws {
        let bytes = try encode(trainer)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw NetworkFileError.io(path: path, reason: error.localizedDescription)
        }
    }

    /// Reads a network and its training state from `bytes`.
    ///
    /// - Throws: ``NetworkFileError`` naming what is wrong: magic, version, truncation, checksum, header, layout.
    public static func decode(_ bytes: [UInt8]) throws(NetworkFileError) -> Trainer {
        var reader = ByteReader(bytes: bytes)
        let fileMagic = try reader.take(magic.count, what: "magic")
        guard Array(fileMagic) == magic else { throw .wrongMagic }
        let fileVersion = try reader.readUInt32(what: "version")
        guard fileVersion == version else { throw .unsupportedVersion(fileVersion, supported: version) }
        let headerLength = try reader.readLength(what: "header length")
        let headerBytes = try reader.take(headerLength, what: "header")
        let payloadLength = try reader.readLength(what: "payload length")
        let payload = try reader.take(payloadLength, what: "parameters")
        let checksumOffset = reader.offset
        let checksum = try reader.readUInt64(what: "checksum")
        guard reader.offset == bytes.count else { throw .trailingBytes(bytes.count - reader.offset) }
        guard fnv1a64(bytes[0..<checksumOffset]) == checksum else { throw .checksumMismatch }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(headerBytes))
        } catch {
            throw .malformedHeader(String(describing: error))
        }
        try validate(header)
        let network = InferenceNetwork(configuration: header.configuration)
        for record in header.addresses {
            guard !network.contains(record.key) else { throw .malformedHeader("address \(record.key) listed twice") }
            network.addAddress(
                record.key, featureCount: record.featureCount, rawCount: record.rawCount,
                trainingCount: record.trainingCount)
        }
        let (store, optimizer) = try NeuralPayload.decode(Array(payload))
        guard store.count == header.parameterCount, store.ranges == network.store.ranges else {
            throw .layoutMismatch(expected: network.store.count, found: store.count)
        }
        network.store = store
        return Trainer(network: network, optimizer: optimizer, state: header.training)
    }

    /// Reads a network file.
    ///
    /// - Throws: ``NetworkFileError``.
    public static func read(from path: String) throws(NetworkFileError) -> Trainer {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .io(path: path, reason: error.localizedDescription)
        }
        do {
            return try decode(Array(data))
        } catch {
            throw .inFile(path: path, error)
        }
    }

    /// Checks sizes a hostile or damaged header could get wrong, before anything is allocated from them.
    private static func validate(_ header: Header) throws(NetworkFileError) {
        let c = header.configuration
        let sizes = [c.lstmHidden, c.lstmLayers, c.sampleEmbedding, c.addressEmbedding, c.kindEmbedding, c.components]
        guard sizes.allSatisfy({ $0 > 0 && $0 <= 1 << 16 }) else {
            throw .malformedHeader("network sizes \(sizes) out of range")
        }
        for spec in c.observations {
            guard spec.dimension > 0, spec.depth > 0, !spec.shape.isEmpty || spec.architecture == .feedForward,
                spec.shape.allSatisfy({ $0 > 0 && $0 <= 1 << 24 }), spec.shape.count <= 4,
                spec.dimension <= 1 << 16, spec.depth <= 64, spec.offset.isFinite, spec.scale.isFinite, spec.scale > 0
            else { throw .malformedHeader("observation embedding \(spec.name) has invalid sizes") }
        }
        for record in header.addresses {
            guard record.featureCount > 0, record.featureCount <= 1 << 20, record.rawCount > 0,
                record.rawCount <= 1 << 20, record.key.instance > 0
            else { throw .malformedHeader("address \(record.key) has invalid sizes") }
        }
        guard header.parameterCount >= 0 else { throw .malformedHeader("negative parameter count") }
    }
}

/// What is wrong with a network file.
public enum NetworkFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file does not start with "LUMISNET".
    case wrongMagic
    /// The file's format version is not one this build reads.
    case unsupportedVersion(UInt32, supported: UInt32)
    /// The file ends inside a section.
    case truncated(section: String, needed: Int, available: Int)
    /// Bytes follow the checksum.
    case trailingBytes(Int)
    /// The checksum does not match the contents.
    case checksumMismatch
    /// The JSON header is not valid.
    case malformedHeader(String)
    /// The parameters do not fit the network the header describes.
    case layoutMismatch(expected: Int, found: Int)
    /// The parameter payload is not valid.
    case malformedPayload(String)
    /// The file cannot be read or written.
    case io(path: String, reason: String)
    /// An error in a named file.
    indirect case inFile(path: String, NetworkFileError)

    /// A one-line message.
    public var description: String {
        switch self {
        case .wrongMagic: "not a Lumis network file (no LUMISNET magic)"
        case .unsupportedVersion(let found, let supported):
            "network file format version \(found) is not supported (this build reads version \(supported))"
        case .truncated(let section, let needed, let available):
            "network file is truncated in its \(section): needs \(needed) more bytes, \(available) left"
        case .trailingBytes(let count): "network file has \(count) unexpected bytes after its checksum"
        case .checksumMismatch: "network file is damaged: checksum mismatch"
        case .malformedHeader(let reason): "network file header is invalid: \(reason)"
        case .layoutMismatch(let expected, let found):
            "network file parameters do not fit its network: expected \(expected) parameters, found \(found)"
        case .malformedPayload(let reason): "network file parameters are invalid: \(reason)"
        case .io(let path, let reason): "cannot access network file \(path): \(reason)"
        case .inFile(let path, let error): "\(path): \(error)"
        }
    }
}

/// Bounds-checked little-endian reads.
struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    mutating func take(_ count: Int, what: String) throws(NetworkFileError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count - offset else {
            throw .truncated(section: what, needed: count, available: bytes.count - offset)
        }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func readUInt64(what: String) throws(NetworkFileError) -> UInt64 {
        let slice = try take(8, what: what)
        var value: UInt64 = 0
        for (i, byte) in slice.enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        return value
    }

    mutating func readUInt32(what: String) throws(NetworkFileError) -> UInt32 {
        let slice = try take(4, what: what)
        var value: UInt32 = 0
        for (i, byte) in slice.enumerated() { value |= UInt32(byte) << (8 * UInt32(i)) }
        return value
    }

    /// A length that must fit in what is left of the file.
    mutating func readLength(what: String) throws(NetworkFileError) -> Int {
        let value = try readUInt64(what: what)
        guard value <= UInt64(bytes.count - offset) else {
            throw .truncated(section: what, needed: Int(clamping: value), available: bytes.count - offset)
        }
        return Int(value)
    }
}

extension [UInt8] {
    mutating func appendLittleEndian(_ value: UInt64) {
        for i in 0..<8 { append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    mutating func appendLittleEndian(_ value: UInt32) {
        for i in 0..<4 { append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))) }
    }
}

/// The 64-bit FNV-1a hash of bytes.
func fnv1a64(_ bytes: some Sequence<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
        hash ^= UInt64(byte)
        hash &*= 0x100_0000_01b3
    }
    return hash
}
