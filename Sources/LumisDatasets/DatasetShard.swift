import LumisStorage

/// One complete shard as its writer's index file lists it.
public struct DatasetShard: Sendable, Equatable {
    /// The global shard number *k*.
    public var index: Int
    /// The file name within the dataset directory.
    public var file: String
    /// The global index (random stream) of the shard's first trace.
    public var firstTrace: Int
    /// The number of traces in the shard.
    public var traceCount: Int
    /// The file's size in bytes.
    public var byteCount: Int
    /// The CRC-32 of the whole file.
    public var checksum: UInt32
    /// The shard's trace types, with counts and the representatives of their first occurrence in the shard.
    public var traceTypes: [DatasetTraceType]
    /// Each record's size in bytes (prefix included), in trace order, as varints.
    ///
    /// Record *j* starts at the header size plus the sizes before it. Kept encoded (1-2 bytes a trace rather
    /// than 8) and checked when the index is read.
    var recordSizeVarints: [UInt8]

    /// Where each record starts, and (last) where the tables start.
    func recordOffsets() -> [Int] {
        var offsets = [ShardFormat.headerSize]
        offsets.reserveCapacity(traceCount + 1)
        var reader = ByteReader(recordSizeVarints)
        while !reader.isAtEnd {
            guard let size = try? reader.readIndex(below: Int.max, "record size") else {
                preconditionFailure("record sizes are checked when the index is read")
            }
            offsets.append(offsets[offsets.count - 1] + size)
        }
        return offsets
    }

    /// The global traces the shard holds.
    public var traces: Range<Int> { firstTrace..<firstTrace + traceCount }
}
