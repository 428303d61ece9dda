/// Appends little-endian fixed-width numbers and length-prefixed strings to a byte buffer.
///
/// The writing half of the binary formats Lumis exchanges between processes (``TraceStore/serialized()``, the
/// per-rank results of a distributed run); ``ByteReader`` reads them back.
package struct ByteWriter {
    /// The bytes written so far.
    package private(set) var bytes: [UInt8] = []

    /// Creates an empty writer.
    package init() {}

    /// Appends raw bytes.
    package mutating func write(bytes more: some Sequence<UInt8>) { bytes.append(contentsOf: more) }

    /// Appends a fixed-width integer, little-endian.
    package mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends a signed integer as 64 bits.
    package mutating func write(_ value: Int) { write(Int64(value)) }

    /// Appends a double's bit pattern (NaN payloads and the sign of zero survive).
    package mutating func write(_ value: Double) { write(value.bitPattern) }

    /// Appends a boolean as one byte.
    package mutating func write(_ value: Bool) { write(UInt8(value ? 1 : 0)) }

    /// Appends a string as its UTF-8 byte count (64 bits) and bytes.
    package mutating func write(_ value: String) {
        write(value.utf8.count)
        bytes.append(contentsOf: value.utf8)
    }

    /// Appends doubles' bit patterns, without a count.
    package mutating func write(doubles: some Collection<Double>) {
        bytes.reserveCapacity(bytes.count + doubles.count * 8)
        for value in doubles { write(value) }
    }
}

/// Reads what a ``ByteWriter`` wrote, checking every length against the bytes left: malformed input throws
/// ``ByteReader/Malformed`` and never traps or allocates more than the input could hold.
package struct ByteReader {
    /// Input that does not hold what the reader expected.
    package struct Malformed: Error, Equatable, CustomStringConvertible {
        /// What was wrong, and at which byte offset.
        package var description: String

        /// Creates the error.
        package init(_ description: String) { self.description = description }
    }

    private let bytes: [UInt8]
    /// The offset of the next byte to read.
    package private(set) var offset = 0

    /// Creates a reader of `bytes` from the start.
    package init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Whether every byte has been read.
    package var isAtEnd: Bool { offset == bytes.count }

    /// Bytes not yet read.
    package var remaining: Int { bytes.count - offset }

    /// Reads a fixed-width little-endian integer.
    package mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws(Malformed) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw Malformed("truncated at byte \(offset): \(size) bytes needed") }
        var value: T = 0
        for index in 0..<size { value |= T(truncatingIfNeeded: bytes[offset + index]) << (8 * index) }
        offset += size
        return value
    }

    /// Reads a 64-bit signed integer that must lie in `range`; `what` names it in the error.
    package mutating func readInt(_ what: String, in range: ClosedRange<Int> = Int.min...Int.max) throws(Malformed)
        -> Int
    {
        let start = offset
        let wide = try read(Int64.self)
        guard let value = Int(exactly: wide), range.contains(value) else {
            throw Malformed("\(what) \(wide) at byte \(start) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// Reads a count of items of at least `itemSize` bytes each; throws if the rest of the input cannot hold them.
    package mutating func readCount(_ what: String, itemSize: Int) throws(Malformed) -> Int {
        let start = offset
        let count = try readInt(what, in: 0...Int.max)
        guard itemSize == 0 || count <= remaining / itemSize else {
            throw Malformed("\(what) \(count) at byte \(start) exceeds the \(remaining) bytes left")
        }
        return count
    }

    /// Reads a double's bit pattern.
    package mutating func readDouble() throws(Malformed) -> Double { Double(bitPattern: try read(UInt64.self)) }

    /// Reads a boolean byte (0 or 1).
    package mutating func readBool(_ what: String) throws(Malformed) -> Bool {
        let start = offset
        let byte = try read(UInt8.self)
        guard byte <= 1 else { throw Malformed("\(what) at byte \(start) is \(byte), not 0 or 1") }
        return byte == 1
    }

    /// Reads a length-prefixed UTF-8 string.
    package mutating func readString(_ what: String) throws(Malformed) -> String {
        let count = try readCount("\(what) length", itemSize: 1)
        let start = offset
        guard let text = String(validating: bytes[offset..<offset + count], as: UTF8.self) else {
            throw Malformed("\(what) at byte \(start) is not valid UTF-8")
        }
        offset += count
        return text
    }

    /// Reads `count` raw bytes.
    package mutating func readBytes(count: Int) throws(Malformed) -> [UInt8] {
        guard count >= 0, count <= remaining else {
            throw Malformed("truncated at byte \(offset): \(count) bytes needed")
        }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Reads `count` doubles.
    package mutating func readDoubles(count: Int) throws(Malformed) -> [Double] {
        guard count >= 0, count <= remaining / 8 else {
            throw Malformed("truncated at byte \(offset): \(count) doubles needed")
        }
        var result: [Double] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(try readDouble()) }
        return result
    }

    /// Throws unless every byte has been read.
    package func expectEnd(_ what: String) throws(Malformed) {
        guard isAtEnd else { throw Malformed("\(remaining) bytes left over after \(what)") }
    }
}
