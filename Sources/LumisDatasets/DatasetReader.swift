import Foundation
public import LumisCore
import Synchronization

/// Reads a dataset directory written by ``DatasetWriter``: the manifest, every rank's index merged, and traces
/// by global index.
///
/// The reader sees the complete shards, in global order; for a finished dataset that is every trace, and
/// reader index *i* is trace (random stream) *i*. Only the shard being read is open: its tables and record
/// offsets are kept, its records are read with `pread` as asked, so memory does not grow with the dataset.
/// The reader may be shared between threads; reads are serialised.
public final class DatasetReader: Sendable {
    /// The dataset directory.
    public let directory: String
    /// The manifest.
    public let manifest: DatasetManifest
    /// The complete shards in global order.
    public let shards: [DatasetShard]
    /// The number of traces in the complete shards.
    public let traceCount: Int
    /// The trace types over all complete shards, in order of first occurrence, with summed counts and the
    /// representative distributions of their first occurrence (none for observes without likelihoods).
    public let traceTypes: [DatasetTraceType]
    /// `starts[s]` is the reader index of shard `s`'s first trace; `starts.last == traceCount`.
    private let starts: [Int]
    private let cache = Mutex(Cache())

    private struct Cache {
        var shard: ShardFile?
        var buffer: [UInt8] = []
    }

    /// Opens and validates the dataset in `directory`.
    ///
    /// Checks the manifest, every index file and that every listed shard file exists with its listed size;
    /// records are checked (CRC-32) when read.
    /// - Throws: ``DatasetError`` naming the file at fault: missing or corrupt manifest or index, a version from
    ///   the future, a shard listed twice differently or inconsistent with the manifest, a missing or resized
    ///   shard file.
    public init(directory: String) throws(DatasetError) {
        self.directory = directory
        guard let names = try DatasetFiles.names(in: directory) else {
            throw DatasetError(path: directory, reason: "no such directory")
        }
        let manifestPath = directory + "/" + DatasetLayout.manifest
        guard names.contains(DatasetLayout.manifest) else {
            throw DatasetError(path: manifestPath, reason: "missing: not a lumis dataset (or rank 0 has not started)")
        }
        manifest = try Self.readManifest(manifestPath)
        let shards = try Self.readIndexes(directory: directory, names: names, manifest: manifest)
        for shard in shards {
            let path = directory + "/" + shard.file
            guard let size = DatasetFiles.size(of: path) else {
                throw DatasetError(path: path, reason: "missing, but listed in the index")
            }
            guard size == shard.byteCount else {
                throw DatasetError(
                    path: path, offset: min(size, shard.byteCount),
                    reason: "file is \(size) bytes, the index says \(shard.byteCount) (truncated or replaced)")
            }
        }
        self.shards = shards
        var starts = [0]
        for shard in shards { starts.append(starts[starts.count - 1] + shard.traceCount) }
        self.starts = starts
        traceCount = starts[starts.count - 1]
        traceTypes = DatasetTraceType.merge(shards.lazy.map(\.traceTypes))
    }

    /// Whether observe entries carry their distributions (likelihoods); when `false` they read back without one
    /// (``DatasetManifest/keepsLikelihoods``).
    public var keepsLikelihoods: Bool { manifest.keepsLikelihoods }

    /// Whether every shard of the manifest is complete.
    public var isComplete: Bool { shards.count == manifest.shardCount }

    /// The total size of the complete shard files in bytes.
    public var byteCount: Int { shards.reduce(0) { $0 + $1.byteCount } }

    /// The manifest of the dataset in `directory`, or `nil` if it has none (yet).
    ///
    /// - Throws: ``DatasetError`` for an unreadable or invalid manifest.
    public static func manifest(in directory: String) throws(DatasetError) -> DatasetManifest? {
        let path = directory + "/" + DatasetLayout.manifest
        guard DatasetFiles.size(of: path) != nil else { return nil }
        return try readManifest(path)
    }

    static func readManifest(_ path: String) throws(DatasetError) -> DatasetManifest {
        let document = try IndexJSON.decodeVersioned(
            IndexJSON.ManifestDocument.self, format: DatasetManifest.format, from: try DatasetFiles.contents(of: path),
            path: path)
        do throws(IndexJSON.Invalid) {
            return try IndexJSON.manifest(document)
        } catch {
            throw DatasetError(path: path, reason: error.reason)
        }
    }

    /// The shards listed by every `index-rank*.json` in `names`, checked against the manifest, in global order.
    static func readIndexes(
        directory: String, names: [String], manifest: DatasetManifest
    ) throws(DatasetError) -> [DatasetShard] {
        var byIndex: [Int: (shard: DatasetShard, file: String)] = [:]
        for name in names where !name.hasSuffix(DatasetLayout.temporarySuffix) {
            guard DatasetLayout.rankNumber(name) != nil else { continue }
            let path = directory + "/" + name
            for shard in try readIndex(path, manifest: manifest) {
                if let earlier = byIndex[shard.index] {
                    guard earlier.shard == shard else {
                        throw DatasetError(
                            path: path, reason: "shard \(shard.index) is also listed, differently, in \(earlier.file)")
                    }
                    continue
                }
                byIndex[shard.index] = (shard, name)
            }
        }
        return byIndex.keys.sorted().compactMap { byIndex[$0]?.shard }
    }

    /// The shards one index file lists.
    static func readIndex(_ path: String, manifest: DatasetManifest) throws(DatasetError) -> [DatasetShard] {
        let document = try IndexJSON.decodeVersioned(
            IndexJSON.RankIndexDocument.self, format: IndexJSON.indexFormat,
            from: try DatasetFiles.contents(of: path), path: path)
        var shards: [DatasetShard] = []
        for entry in document.shards {
            let shard: DatasetShard
            do throws(IndexJSON.Invalid) {
                shard = try IndexJSON.shard(entry)
            } catch {
                throw DatasetError(path: path, reason: error.reason)
            }
            guard shard.index >= 0, shard.index < manifest.shardCount,
                manifest.traces(ofShard: shard.index) == shard.traces, shard.file == DatasetLayout.shard(shard.index)
            else {
                throw DatasetError(
                    path: path,
                    reason: "shard \(shard.index) (\(shard.file), traces \(shard.traces)) does not fit the manifest "
                        + "(\(manifest.traceCount) traces, \(manifest.shardTraces) per shard)")
            }
            shards.append(shard)
        }
        return shards
    }

    /// The traces at reader indices `range`, in order (for a finished dataset, traces `range` of the seed).
    ///
    /// Only the shards the range touches are read, each from the bytes of the asked records.
    /// - Precondition: `range` lies within `0..<traceCount`.
    /// - Throws: ``DatasetError`` naming the shard file and offset of a corrupt, truncated or mismatched record.
    public func traces(in range: Range<Int>) throws(DatasetError) -> [Trace] {
        precondition(
            range.lowerBound >= 0 && range.upperBound <= traceCount, "range \(range) outside 0..<\(traceCount)")
        var result: [Trace] = []
        result.reserveCapacity(range.count)
        var position = range.lowerBound
        while position < range.upperBound {
            let shardPosition = shardPosition(containing: position)
            let start = starts[shardPosition]
            let end = min(range.upperBound, starts[shardPosition + 1])
            result.append(contentsOf: try read(shardPosition, local: (position - start)..<(end - start)))
            position = end
        }
        return result
    }

    /// The traces at reader indices `indices`, in the order given (a shuffled minibatch, say).
    ///
    /// The indices are visited in increasing order, so each shard they touch is opened once per call; each
    /// record is read on its own.
    /// - Precondition: every index lies within `0..<traceCount`.
    /// - Throws: ``DatasetError`` naming the shard file and offset of a corrupt, truncated or mismatched record.
    public func traces(at indices: [Int]) throws(DatasetError) -> [Trace] {
        precondition(indices.allSatisfy { $0 >= 0 && $0 < traceCount }, "an index outside 0..<\(traceCount)")
        var result = [Trace](repeating: Trace(), count: indices.count)
        for position in indices.indices.sorted(by: { indices[$0] < indices[$1] }) {
            let index = indices[position]
            let shardPosition = shardPosition(containing: index)
            let local = index - starts[shardPosition]
            result[position] = try read(shardPosition, local: local..<local + 1)[0]
        }
        return result
    }

    /// Calls `body` with consecutive chunks of at most `size` traces covering `range` (default: all), in order,
    /// reading one chunk at a time.
    ///
    /// - Precondition: `size > 0` and `range` lies within `0..<traceCount`.
    /// - Throws: ``DatasetError`` from reading, or what `body` throws.
    public func forEachChunk(
        of size: Int, in range: Range<Int>? = nil, _ body: (_ indices: Range<Int>, _ traces: [Trace]) throws -> Void
    ) throws {
        precondition(size > 0, "chunk size must be positive")
        let range = range ?? 0..<traceCount
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + size, range.upperBound)
            try body(start..<end, try traces(in: start..<end))
            start = end
        }
    }

    /// Reads every shard file whole, chunk by chunk, and compares its CRC-32 with the index.
    ///
    /// - Throws: ``DatasetError`` naming the first file whose checksum differs.
    public func verifyChecksums() throws(DatasetError) {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for shard in shards {
            let path = directory + "/" + shard.file
            let descriptor = try DatasetFiles.openForReading(path)
            defer { close(descriptor) }
            var crc = CRC32()
            var offset = 0
            while true {
                let count = try buffer.withMutableBytes { (raw) throws(DatasetError) in
                    try DatasetFiles.read(descriptor, into: raw, at: offset, path: path)
                }
                buffer.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                offset += count
                if count < buffer.count { break }
            }
            guard crc.value == shard.checksum, offset == shard.byteCount else {
                throw DatasetError(path: path, reason: "file checksum differs from the index (the file is corrupt)")
            }
        }
    }

    private func shardPosition(containing index: Int) -> Int {
        var low = 0, high = shards.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if starts[middle] <= index { low = middle } else { high = middle - 1 }
        }
        return low
    }

    private func read(_ position: Int, local: Range<Int>) throws(DatasetError) -> [Trace] {
        let shard = shards[position]
        let path = directory + "/" + shard.file
        return try cache.withLock { (cache) throws(DatasetError) -> [Trace] in
            if cache.shard?.shard.index != shard.index {
                cache.shard = nil
                cache.shard = try ShardFile(path: path, shard: shard)
            }
            // The shard was just set above.
            return try cache.shard!.traces(in: local, buffer: &cache.buffer)
        }
    }
}
