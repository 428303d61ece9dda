import Foundation
import LumisCore
import LumisStorage

/// Writes one shard: records stream through a buffer into `shard-k.lumisds.tmp`; ``finish()`` appends the
/// tables and trailer, `fsync`s and renames the file into place.
struct ShardFileWriter {
    private let path: String
    private let temporary: String
    private let staged: StagedFile
    private let index: Int
    private let firstTrace: Int
    private let traceCount: Int
    private var descriptor: Int32
    private var encoder: ShardEncoder
    private var buffer = ByteWriter()
    private var checksum = CRC32()
    private var byteCount = 0
    private var recordSizes = ByteWriter()
    private var recordCount = 0

    /// Flush the buffer to the file beyond this many bytes.
    private static let flushThreshold = 1 << 20

    /// Creates the temporary file and writes the header; observe entries keep their distributions only if
    /// `keepsLikelihoods`.
    init(directory: String, index: Int, traces: Range<Int>, keepsLikelihoods: Bool) throws(DatasetError) {
        encoder = ShardEncoder(keepsLikelihoods: keepsLikelihoods)
        self.index = index
        self.firstTrace = traces.lowerBound
        self.traceCount = traces.count
        path = directory + "/" + DatasetLayout.shard(index)
        temporary = path + DatasetLayout.temporarySuffix
        staged = try DatasetFiles.stage(path)
        descriptor = try DatasetFiles.create(temporary)
        var header = ByteWriter()
        header.write(bytes: ShardFormat.magic)
        header.write(ShardFormat.version)
        header.write(UInt32(0))
        header.write(UInt64(index))
        header.write(UInt64(firstTrace))
        header.write(UInt64(traceCount))
        header.write(header.bytes.withUnsafeBytes { CRC32.checksum($0) })
        header.write(UInt32(0))
        assert(header.count == ShardFormat.headerSize)
        buffer.write(header)
    }

    /// Whether every trace of the shard has been appended.
    var isFull: Bool { recordCount == traceCount }

    /// Appends the next trace of the shard.
    ///
    /// - Precondition: fewer than the shard's trace count have been appended.
    mutating func append(_ trace: Trace) throws(DatasetError) {
        precondition(recordCount < traceCount, "more traces than the shard holds")
        encoder.encode(trace)
        recordSizes.writeVarint(encoder.record.count)
        recordCount += 1
        buffer.write(encoder.record)
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    private mutating func flush() throws(DatasetError) {
        let descriptor = descriptor, temporary = temporary
        try buffer.bytes.withBytes { (bytes) throws(DatasetError) in
            checksum.update(bytes)
            try DatasetFiles.write(descriptor, bytes, path: temporary)
        }
        byteCount += buffer.count
        buffer.removeAll()
    }

    /// Writes the tables and trailer, makes the file durable and renames it into place.
    ///
    /// - Precondition: every trace of the shard was appended.
    /// - Returns: the shard's index entry.
    mutating func finish() throws(DatasetError) -> DatasetShard {
        precondition(recordCount == traceCount, "the shard is missing traces")
        let tablesOffset = byteCount + buffer.count
        buffer.write(encoder.tables())
        var trailer = ByteWriter()
        trailer.write(UInt64(tablesOffset))
        trailer.write(UInt64(traceCount))
        trailer.write(trailer.bytes.withUnsafeBytes { CRC32.checksum($0) })
        trailer.write(UInt32(0))
        trailer.write(bytes: ShardFormat.endMagic)
        assert(trailer.count == ShardFormat.trailerSize)
        buffer.write(trailer)
        try flush()
        // syncAndClose closes the descriptor whatever happens: never close it twice.
        let open = descriptor
        descriptor = -1
        try DatasetFiles.syncAndClose(open, path: temporary)
        try DatasetFiles.commit(staged)
        return DatasetShard(
            index: index, file: DatasetLayout.shard(index), firstTrace: firstTrace, traceCount: traceCount,
            byteCount: byteCount, checksum: checksum.value, traceTypes: encoder.traceTypes(),
            recordSizeVarints: recordSizes.bytes)
    }

    /// Closes and removes the temporary file of an unfinished shard.
    mutating func abandon() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        try? DatasetFiles.remove(temporary)
    }
}
