/// An append-only little-endian byte buffer: the writing half of every binary format Lumis defines (trace stores
/// and run parts exchanged between ranks, parameter and network files, dataset shards); ``ByteReader`` reads
/// them back.
///
/// Integers are fixed-width little-endian, or unsigned LEB128 (`varint`); doubles are their IEEE 754 bit
/// patterns, so NaN payloads and the sign of zero survive. A writer can be reused: ``removeAll()`` keeps its
/// capacity, so encoding does not allocate once the buffer has grown.
package struct ByteWriter: Sendable {
    /// How a string's UTF-8 byte count precedes its bytes.
    package enum LengthPrefix: Sendable {
        /// A 64-bit little-endian count.
        case uint64
        /// An unsigned LEB128 count.
        case varint
    }

    /// The bytes written so far.
    package private(set) var bytes: [UInt8] = []

    /// Creates an empty writer.
    package init() {}

    /// The number of bytes written.
    package var count: Int { bytes.count }

    /// Removes every byte, keeping the capacity.
    package mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    /// Appends raw bytes.
    package mutating func write(bytes more: some Sequence<UInt8>) { bytes.append(contentsOf: more) }

    /// Appends another writer's bytes.
    package mutating func write(_ other: ByteWriter) { bytes.append(contentsOf: other.bytes) }

    /// Appends a fixed-width integer, little-endian.
    package mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends a signed integer as 64 bits.
    package mutating func write(_ value: Int) { write(Int64(value)) }

    /// Appends a double's bit pattern.
    package mutating func write(_ value: Double) { write(value.bitPattern) }

    /// Appends a boolean as one byte, 0 or 1.
    package mutating func write(_ value: Bool) { write(UInt8(value ? 1 : 0)) }

    /// Appends a string as its UTF-8 byte count, then its bytes.
    package mutating func write(_ value: String, lengthPrefix: LengthPrefix = .uint64) {
        var value = value
        value.withUTF8 { utf8 in
            switch lengthPrefix {
            case .uint64: write(utf8.count)
            case .varint: writeVarint(utf8.count)
            }
            bytes.append(contentsOf: utf8)
        }
    }

    /// Appends doubles' bit patterns, without a count.
    package mutating func write(doubles: some Collection<Double>) {
        bytes.reserveCapacity(bytes.count + doubles.count * 8)
        for value in doubles { write(value.bitPattern) }
    }

    /// Appends floats' bit patterns, without a count.
    package mutating func write(floats: some Collection<Float>) {
        bytes.reserveCapacity(bytes.count + floats.count * 4)
        for value in floats { write(value.bitPattern) }
    }

    /// Appends an unsigned LEB128 integer: seven bits a byte, low bits first, the high bit set on all but the last.
    package mutating func writeVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// Appends a non-negative `Int` as unsigned LEB128.
    ///
    /// - Precondition: `value >= 0`.
    package mutating func writeVarint(_ value: Int) {
        precondition(value >= 0, "negative varint")
        writeVarint(UInt64(value))
    }

    /// Overwrites the bytes at `offset` with `value`, little-endian (a length, flag or checksum slot reserved
    /// earlier).
    ///
    /// - Precondition: the slot lies within the bytes written.
    package mutating func overwrite<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        let size = MemoryLayout<T>.size
        precondition(offset >= 0 && offset <= bytes.count - size, "slot outside the bytes written")
        withUnsafeBytes(of: value.littleEndian) { raw in
            for index in 0..<size { bytes[offset + index] = raw[index] }
        }
    }
}
