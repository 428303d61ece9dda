import Foundation
import LumisCore
import LumisDistributions
import LumisStorage
import LumisTensor

/// The JSON documents of a dataset: the manifest and the per-rank index files, with their conversions.
enum IndexJSON {
    static let indexFormat = "lumis-dataset-index"

    /// The fields every version keeps, read first so a newer file is refused before its schema matters.
    struct VersionDocument: Codable {
        var format: String
        var version: Int
    }

    struct TensorDocument: Codable {
        var shape: [Int]
        var data: [Double]
    }

    struct DistributionDocument: Codable {
        var kind: String
        var parameters: [TensorDocument]
    }

    /// A ``DatasetTraceType/Entry`` (a ``Site`` and its distribution) in the index file's field names.
    struct EntryDocument: Codable {
        var kind: String
        var address: String
        var instance: Int
        var name: String
        var controlled: Bool
        var distribution: DistributionDocument?
    }

    struct TraceTypeDocument: Codable {
        var count: Int
        var entries: [EntryDocument]
    }

    struct ShardDocument: Codable {
        var shard: Int
        var file: String
        var firstTrace: Int
        var traceCount: Int
        var bytes: Int
        var crc32: UInt32
        /// Base64 of the records' sizes as unsigned LEB128 varints.
        var recordSizes: String
        var traceTypes: [TraceTypeDocument]

        enum CodingKeys: String, CodingKey {
            case shard, file, bytes, crc32
            case firstTrace = "first_trace"
            case traceCount = "trace_count"
            case recordSizes = "record_sizes"
            case traceTypes = "trace_types"
        }
    }

    struct RankIndexDocument: Codable {
        var format: String
        var version: Int
        var rank: Int
        var shards: [ShardDocument]
    }

    struct ManifestDocument: Codable {
        var format: String
        var version: Int
        var mode: String
        var seed: UInt64
        var traces: Int
        var shardTraces: Int
        var model: String
        var observations: [String: TensorDocument]
        /// Whether observe entries keep their distributions; absent (older lumis) means `true`.
        var likelihoods: Bool?

        enum CodingKeys: String, CodingKey {
            case format, version, mode, seed, traces, model, observations, likelihoods
            case shardTraces = "shard_traces"
        }
    }

    /// Something in a document that cannot be turned into a value.
    struct Invalid: Error {
        var reason: String
    }

    // MARK: Encoding

    /// A document as indented JSON (the one JSON writer: ``JSONValue``), as dataset files have always been laid out.
    static func encode(_ value: some Encodable) -> [UInt8] {
        do {
            return Array(try JSONValue(encoding: value).text(style: .indented).utf8)
        } catch {
            // Every document here is plain structs of strings and numbers, with non-finite numbers as strings.
            fatalError("unreachable: JSON encoding failed: \(error)")
        }
    }

    /// Parses `bytes` as JSON.
    static func parse(_ bytes: [UInt8], path: String) throws(DatasetError) -> JSONValue {
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw DatasetError(path: path, reason: error.description)
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from tree: JSONValue, path: String) throws(DatasetError) -> T {
        do {
            return try tree.decode(type)
        } catch let error as DecodingError {
            throw DatasetError(path: path, reason: "invalid JSON: \(describe(error))")
        } catch {
            throw DatasetError(path: path, reason: "invalid JSON: \(error)")
        }
    }

    /// Decodes a manifest or index file after checking its format name and that its version is not newer.
    static func decodeVersioned<T: Decodable>(
        _ type: T.Type, format: String, from bytes: [UInt8], path: String
    ) throws(DatasetError) -> T {
        let tree = try parse(bytes, path: path)
        let header = try decode(VersionDocument.self, from: tree, path: path)
        guard header.format == format else {
            throw DatasetError(path: path, reason: "format is '\(header.format)', expected '\(format)'")
        }
        guard header.version >= 1, header.version <= DatasetManifest.currentVersion else {
            throw DatasetError(
                path: path,
                reason: "version \(header.version) is not supported (this lumis reads versions up to "
                    + "\(DatasetManifest.currentVersion)); a newer lumis wrote it")
        }
        return try decode(type, from: tree, path: path)
    }

    private static func describe(_ error: DecodingError) -> String {
        func at(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return path.isEmpty ? "" : " at \(path)"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key '\(key.stringValue)'\(at(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type\(at(context)): \(context.debugDescription)"
        case .dataCorrupted(let context): return "\(context.debugDescription)\(at(context))"
        @unknown default: return "\(error)"
        }
    }

    // MARK: Conversions

    static func document(_ tensor: Tensor) -> TensorDocument {
        TensorDocument(shape: tensor.shape, data: Array(tensor.scalars))
    }

    static func tensor(_ document: TensorDocument) throws(Invalid) -> Tensor {
        guard document.shape.allSatisfy({ $0 >= 0 }), Tensor.elementCount(of: document.shape) == document.data.count
        else { throw Invalid(reason: "tensor of shape \(document.shape) with \(document.data.count) elements") }
        return Tensor(shape: document.shape, scalars: document.data)
    }

    static func document(_ distribution: Distribution) -> DistributionDocument {
        DistributionDocument(kind: distribution.kind.name, parameters: distribution.parameters.map(document))
    }

    static func distribution(_ document: DistributionDocument) throws(Invalid) -> Distribution {
        guard let kind = DistributionKind.allCases.first(where: { $0.name == document.kind }) else {
            throw Invalid(reason: "unknown distribution kind '\(document.kind)'")
        }
        guard document.parameters.count == kind.parameterNames.count else {
            throw Invalid(reason: "\(kind.name) with \(document.parameters.count) parameters")
        }
        var parameters: [Tensor] = []
        for parameter in document.parameters { parameters.append(try tensor(parameter)) }
        return Distribution(kind: kind, parameters: parameters)
    }

    static let kindNames: [Trace.Kind: String] = [.sample: "sample", .observe: "observe", .tag: "tag"]

    static func document(_ type: DatasetTraceType) -> TraceTypeDocument {
        TraceTypeDocument(
            count: type.count,
            entries: type.entries.map { entry in
                EntryDocument(
                    kind: kindNames[entry.kind] ?? "", address: entry.address, instance: entry.instance,
                    name: entry.name, controlled: entry.isControlled, distribution: entry.distribution.map(document))
            })
    }

    static func traceType(_ document: TraceTypeDocument) throws(Invalid) -> DatasetTraceType {
        var entries: [DatasetTraceType.Entry] = []
        for entry in document.entries {
            guard let kind = kindNames.first(where: { $0.value == entry.kind })?.key else {
                throw Invalid(reason: "unknown entry kind '\(entry.kind)'")
            }
            entries.append(
                DatasetTraceType.Entry(
                    kind: kind, address: entry.address, instance: entry.instance, name: entry.name,
                    isControlled: entry.controlled, distribution: try entry.distribution.map(distribution)))
        }
        guard document.count >= 0 else { throw Invalid(reason: "negative trace type count") }
        return DatasetTraceType(entries: entries, count: document.count)
    }

    static func document(_ shard: DatasetShard) -> ShardDocument {
        ShardDocument(
            shard: shard.index, file: shard.file, firstTrace: shard.firstTrace, traceCount: shard.traceCount,
            bytes: shard.byteCount, crc32: shard.checksum,
            recordSizes: Data(shard.recordSizeVarints).base64EncodedString(),
            traceTypes: shard.traceTypes.map(document))
    }

    static func shard(_ document: ShardDocument) throws(Invalid) -> DatasetShard {
        guard let data = Data(base64Encoded: document.recordSizes) else {
            throw Invalid(reason: "shard \(document.shard): record_sizes is not base64")
        }
        // Checked here, so that decoding them later (``DatasetShard/recordOffsets()``) cannot fail.
        let bytes = Array(data)
        var count = 0
        var total = 0
        var isValid = true
        do throws(ByteReader.Malformed) {
            var reader = ByteReader(bytes)
            while !reader.isAtEnd {
                let size = try reader.readIndex(below: Int(UInt32.max) + 9, "record size")
                isValid = isValid && size >= ShardFormat.recordPrefixSize
                count += 1
                total += size
            }
        } catch {
            throw Invalid(reason: "shard \(document.shard): record_sizes: \(error.reason)")
        }
        guard isValid, count == document.traceCount, total <= document.bytes else {
            throw Invalid(reason: "shard \(document.shard): record_sizes do not match its traces and bytes")
        }
        var types: [DatasetTraceType] = []
        for type in document.traceTypes { types.append(try traceType(type)) }
        return DatasetShard(
            index: document.shard, file: document.file, firstTrace: document.firstTrace,
            traceCount: document.traceCount, byteCount: document.bytes, checksum: document.crc32, traceTypes: types,
            recordSizeVarints: bytes)
    }

    static func document(_ manifest: DatasetManifest) -> ManifestDocument {
        ManifestDocument(
            format: DatasetManifest.format, version: manifest.version, mode: "simulate-observations",
            seed: manifest.seed, traces: manifest.traceCount, shardTraces: manifest.shardTraces, model: manifest.model,
            observations: manifest.observations.mapValues(document), likelihoods: manifest.keepsLikelihoods)
    }

    static func manifest(_ document: ManifestDocument) throws(Invalid) -> DatasetManifest {
        guard document.traces >= 0, document.shardTraces > 0 else {
            throw Invalid(reason: "traces must not be negative and shard_traces must be positive")
        }
        var observations: [String: Tensor] = [:]
        for (name, value) in document.observations { observations[name] = try tensor(value) }
        return DatasetManifest(
            version: document.version, seed: document.seed, traceCount: document.traces,
            shardTraces: document.shardTraces, model: document.model, observations: observations,
            keepsLikelihoods: document.likelihoods ?? true)
    }
}
