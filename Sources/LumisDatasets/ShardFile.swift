import Foundation
import LumisCore
import LumisStorage

/// One open shard for reading: its header, trailer and tables checked against the index entry, records read
/// on demand with `pread`, so only the bytes asked for are touched.
final class ShardFile {
    let path: String
    let shard: DatasetShard
    private let descriptor: Int32
    private let tables: ShardTables
    /// `offsets[j]` is where record *j* starts; `offsets[traceCount]` where the tables start.
    private let offsets: [Int]

    /// Opens and validates the shard at `path` described by `shard`.
    init(path: String, shard: DatasetShard) throws(DatasetError) {
        self.path = path
        self.shard = shard
        let offsets = shard.recordOffsets()
        self.offsets = offsets
        descriptor = try DatasetFiles.openForReading(path)
        do throws(DatasetError) {
            tables = try Self.validate(
                descriptor: descriptor, path: path, shard: shard, tablesOffset: offsets[offsets.count - 1])
        } catch {
            close(descriptor)
            throw error
        }
    }

    deinit { close(descriptor) }

    private static func fail(_ path: String, _ offset: Int, _ reason: String) -> DatasetError {
        DatasetError(path: path, offset: offset, reason: reason)
    }

    /// Reads exactly `count` bytes at `offset`, or says the file is truncated.
    private static func bytes(
        _ descriptor: Int32, path: String, at offset: Int, count: Int, into buffer: inout [UInt8], what: String
    ) throws(DatasetError) {
        if buffer.count < count { buffer = [UInt8](repeating: 0, count: count) }
        let got = try buffer.withMutableBytes { (raw) throws(DatasetError) in
            try DatasetFiles.read(
                descriptor, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<count]), at: offset, path: path)
        }
        guard got == count else {
            throw fail(path, offset + got, "file truncated in the \(what): \(count - got) of \(count) bytes missing")
        }
    }

    // `tablesOffset` comes from the index's record sizes; everything in the file must agree with it.
    private static func validate(
        descriptor: Int32, path: String, shard: DatasetShard, tablesOffset: Int
    ) throws(DatasetError) -> ShardTables {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw DatasetFiles.error(path, "stat") }
        let size = Int(info.st_size)
        guard size == shard.byteCount else {
            throw fail(path, min(size, shard.byteCount), "file is \(size) bytes, the index says \(shard.byteCount)")
        }
        var buffer: [UInt8] = []
        try bytes(descriptor, path: path, at: 0, count: ShardFormat.headerSize, into: &buffer, what: "header")
        let header = buffer
        try header.withBytes { (raw) throws(DatasetError) in
            guard raw.prefix(8).elementsEqual(ShardFormat.magic) else {
                throw fail(path, 0, "not a lumis dataset shard (bad magic)")
            }
            let crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<40]))
            var reader = ByteReader(header, in: 8..<ShardFormat.headerSize)
            do throws(ByteReader.Malformed) {
                let version = try reader.read(UInt32.self, "version")
                guard version >= 1, version <= ShardFormat.version else {
                    throw reader.fault(
                        "shard format version \(version) is not supported (this lumis reads versions up to "
                            + "\(ShardFormat.version)); a newer lumis wrote it")
                }
                _ = try reader.read(UInt32.self, "flags")
                let index = try reader.read(UInt64.self, "shard number")
                let first = try reader.read(UInt64.self, "first trace")
                let count = try reader.read(UInt64.self, "trace count")
                guard try reader.read(UInt32.self, "header checksum") == crc else {
                    throw ByteReader.Malformed(offset: 40, reason: "header checksum mismatch")
                }
                guard index == UInt64(shard.index), first == UInt64(shard.firstTrace),
                    count == UInt64(shard.traceCount)
                else {
                    throw ByteReader.Malformed(
                        offset: 16,
                        reason: "header says shard \(index), traces from \(first), \(count) traces; the index says "
                            + "shard \(shard.index), from \(shard.firstTrace), \(shard.traceCount)")
                }
            } catch {
                throw fail(path, error.offset, error.reason)
            }
        }
        let trailerOffset = size - ShardFormat.trailerSize
        guard trailerOffset >= tablesOffset + 8 else {
            throw fail(path, size, "file too short for its records, tables and trailer")
        }
        try bytes(
            descriptor, path: path, at: trailerOffset, count: ShardFormat.trailerSize, into: &buffer, what: "trailer")
        let trailer = buffer
        try trailer.withBytes { (raw) throws(DatasetError) in
            var reader = ByteReader(trailer, in: 0..<ShardFormat.trailerSize, fileOffset: trailerOffset)
            do throws(ByteReader.Malformed) {
                let offset = try reader.read(UInt64.self, "tables offset")
                let count = try reader.read(UInt64.self, "record count")
                let crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<16]))
                guard try reader.read(UInt32.self, "trailer checksum") == crc else {
                    throw ByteReader.Malformed(offset: trailerOffset + 16, reason: "trailer checksum mismatch")
                }
                guard raw[24..<32].elementsEqual(ShardFormat.endMagic) else {
                    throw ByteReader.Malformed(offset: trailerOffset + 24, reason: "bad end magic (incomplete shard)")
                }
                guard offset == UInt64(tablesOffset), count == UInt64(shard.traceCount) else {
                    throw ByteReader.Malformed(
                        offset: trailerOffset,
                        reason: "trailer says \(count) records with tables at \(offset); the index says "
                            + "\(shard.traceCount) records with tables at \(tablesOffset)")
                }
            } catch {
                throw fail(path, error.offset, error.reason)
            }
        }
        let sectionSize = trailerOffset - tablesOffset
        try bytes(descriptor, path: path, at: tablesOffset, count: sectionSize, into: &buffer, what: "tables")
        let section = buffer
        return try section.withBytes { (raw) throws(DatasetError) -> ShardTables in
            var reader = ByteReader(section, in: 0..<sectionSize, fileOffset: tablesOffset)
            do throws(ByteReader.Malformed) {
                let length = Int(try reader.read(UInt32.self, "tables length"))
                let crc = try reader.read(UInt32.self, "tables checksum")
                guard length == sectionSize - 8 else {
                    throw ByteReader.Malformed(
                        offset: tablesOffset,
                        reason: "tables length \(length) does not fill the \(sectionSize - 8) bytes")
                }
                let payload = UnsafeRawBufferPointer(rebasing: raw[8..<sectionSize])
                guard CRC32.checksum(payload) == crc else {
                    throw ByteReader.Malformed(offset: tablesOffset + 4, reason: "tables checksum mismatch")
                }
                var tablesReader = ByteReader(section, in: 8..<sectionSize, fileOffset: tablesOffset + 8)
                let tables = try ShardTables(parsing: &tablesReader)
                guard tables.typeCounts.reduce(0, +) == shard.traceCount else {
                    throw ByteReader.Malformed(offset: tablesOffset + 8, reason: "trace type counts do not add up")
                }
                return tables
            } catch {
                throw fail(path, error.offset, error.reason)
            }
        }
    }

    /// Reads and decodes the shard's traces at local positions `range`, reusing `buffer` for the bytes.
    ///
    /// - Precondition: `range` lies within the shard.
    func traces(in range: Range<Int>, buffer: inout [UInt8]) throws(DatasetError) -> [Trace] {
        precondition(range.lowerBound >= 0 && range.upperBound <= shard.traceCount, "range outside the shard")
        guard !range.isEmpty else { return [] }
        let start = offsets[range.lowerBound]
        let count = offsets[range.upperBound] - start
        try Self.bytes(descriptor, path: path, at: start, count: count, into: &buffer, what: "records")
        var traces: [Trace] = []
        traces.reserveCapacity(range.count)
        let tables = tables, offsets = offsets, path = path, firstTrace = shard.firstTrace, records = buffer
        try records.withBytes { (raw) throws(DatasetError) in
            for position in range {
                let recordStart = offsets[position] - start
                let recordEnd = offsets[position + 1] - start
                let bytes = UnsafeRawBufferPointer(rebasing: raw[recordStart..<recordEnd])
                var reader = ByteReader(records, in: recordStart..<recordEnd, fileOffset: offsets[position])
                do throws(ByteReader.Malformed) {
                    let length = Int(try reader.read(UInt32.self, "record length"))
                    let crc = try reader.read(UInt32.self, "record checksum")
                    guard length == bytes.count - ShardFormat.recordPrefixSize else {
                        throw ByteReader.Malformed(
                            offset: offsets[position],
                            reason: "record of trace \(firstTrace + position) has length \(length), the index says "
                                + "\(bytes.count - ShardFormat.recordPrefixSize)")
                    }
                    let payload = UnsafeRawBufferPointer(rebasing: bytes[ShardFormat.recordPrefixSize...])
                    guard CRC32.checksum(payload) == crc else {
                        throw ByteReader.Malformed(
                            offset: offsets[position],
                            reason: "checksum mismatch: the record of trace \(firstTrace + position) is corrupt")
                    }
                    var payloadReader = ByteReader(
                        records, in: recordStart + ShardFormat.recordPrefixSize..<recordEnd,
                        fileOffset: offsets[position] + ShardFormat.recordPrefixSize)
                    traces.append(try tables.decode(&payloadReader))
                } catch {
                    throw Self.fail(path, error.offset, error.reason)
                }
            }
        }
        return traces
    }
}
