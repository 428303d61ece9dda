/// An append-only little-endian byte buffer for shard records and tables; reused, so encoding does not
/// allocate once it has grown.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    var count: Int { bytes.count }

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func uint32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func uint64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// The IEEE 754 bits, so every value (NaN payloads, −0) comes back bit for bit.
    mutating func double(_ value: Double) { uint64(value.bitPattern) }

    /// Unsigned LEB128.
    mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// Unsigned LEB128 of a non-negative `Int`.
    mutating func varint(_ value: Int) {
        precondition(value >= 0, "negative varint")
        varint(UInt64(value))
    }

    mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            varint(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func append(_ other: ByteWriter) { bytes.append(contentsOf: other.bytes) }

    /// Overwrites the byte at `offset` (a flag slot reserved earlier).
    mutating func setByte(_ value: UInt8, at offset: Int) { bytes[offset] = value }

    /// Overwrites four bytes at `offset` (a length or checksum slot reserved earlier).
    mutating func setUInt32(_ value: UInt32, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for index in 0..<4 { bytes[offset + index] = raw[index] }
        }
    }
}
