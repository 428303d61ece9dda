/// Reads what a ``ByteWriter`` wrote, checking every length against the bytes left: malformed input throws
/// ``Malformed`` naming what was being read and where, and never traps or allocates more than the input holds.
///
/// Offsets in errors are file offsets when the reader is given one (``init(_:in:fileOffset:)``), so a message
/// can point into the file the bytes came from.
package struct ByteReader: Sendable {
    /// Input that does not hold what the reader expected.
    package struct Malformed: Error, Equatable, CustomStringConvertible {
        /// The offset of the fault.
        package var offset: Int
        /// What was wrong.
        package var reason: String

        /// Creates the error.
        package init(offset: Int, reason: String) {
            self.offset = offset
            self.reason = reason
        }

        /// `<reason> at byte <offset>`.
        package var description: String { "\(reason) at byte \(offset)" }
    }

    private let bytes: [UInt8]
    private let end: Int
    /// The index in `bytes` of the next byte.
    private var position: Int
    /// The file offset of `bytes[0]`.
    private let base: Int

    /// Creates a reader of `bytes[range]` (all of `bytes` by default) whose first byte is at `fileOffset` (the
    /// range's start by default).
    ///
    /// - Precondition: `range` lies within `bytes`.
    package init(_ bytes: [UInt8], in range: Range<Int>? = nil, fileOffset: Int? = nil) {
        let range = range ?? 0..<bytes.count
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "range outside the bytes")
        self.bytes = bytes
        end = range.upperBound
        position = range.lowerBound
        base = (fileOffset ?? range.lowerBound) - range.lowerBound
    }

    /// The offset of the next byte to read.
    package var offset: Int { base + position }

    /// Bytes not yet read.
    package var remaining: Int { end - position }

    /// Whether every byte has been read.
    package var isAtEnd: Bool { position == end }

    /// An error at the next byte to read.
    package func fault(_ reason: String) -> Malformed { Malformed(offset: offset, reason: reason) }

    /// Moves past `count` bytes and returns the index of the first, or throws naming `what`.
    private mutating func take(_ count: Int, _ what: String) throws(Malformed) -> Int {
        guard count >= 0, count <= remaining else {
            throw fault("truncated \(what): needs \(count) bytes, \(remaining) left")
        }
        defer { position += count }
        return position
    }

    // MARK: Fixed width

    /// Reads a fixed-width little-endian integer; `what` names it in the error.
    package mutating func read<T: FixedWidthInteger>(_: T.Type = T.self, _ what: String = "integer") throws(Malformed)
        -> T
    {
        let start = try take(MemoryLayout<T>.size, what)
        return bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: start, as: T.self)) }
    }

    /// Reads a double's bit pattern.
    package mutating func readDouble(_ what: String = "double") throws(Malformed) -> Double {
        Double(bitPattern: try read(UInt64.self, what))
    }

    /// Reads a 64-bit signed integer that must lie in `range`.
    package mutating func readInt(_ what: String, in range: ClosedRange<Int> = Int.min...Int.max) throws(Malformed)
        -> Int
    {
        let start = offset
        let wide = try read(Int64.self, what)
        guard let value = Int(exactly: wide), range.contains(value) else {
            throw Malformed(
                offset: start, reason: "\(what) \(wide) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// Reads a 64-bit count of items of at least `itemSize` bytes each; throws if the rest cannot hold them.
    package mutating func readCount(_ what: String, itemSize: Int) throws(Malformed) -> Int {
        let start = offset
        let count = try readInt(what, in: 0...Int.max)
        guard itemSize == 0 || count <= remaining / itemSize else {
            throw Malformed(offset: start, reason: "\(what) \(count) exceeds the \(remaining) bytes left")
        }
        return count
    }

    /// Reads a boolean byte (0 or 1).
    package mutating func readBool(_ what: String) throws(Malformed) -> Bool {
        let start = offset
        let byte = try read(UInt8.self, what)
        guard byte <= 1 else { throw Malformed(offset: start, reason: "\(what) is \(byte), not 0 or 1") }
        return byte == 1
    }

    /// Reads `count` raw bytes.
    package mutating func readBytes(count: Int, _ what: String = "bytes") throws(Malformed) -> [UInt8] {
        let start = try take(count, what)
        return Array(bytes[start..<start + count])
    }

    /// Reads `count` doubles.
    package mutating func readDoubles(count: Int, _ what: String = "doubles") throws(Malformed) -> [Double] {
        let start = try takeElements(count, size: 8, what)
        return [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(buffer, from: start)
            initialized = count
        }
    }

    /// Reads `count` doubles into contiguous storage (a tensor's scalars).
    package mutating func readScalars(count: Int, _ what: String = "doubles") throws(Malformed)
        -> ContiguousArray<Double>
    {
        let start = try takeElements(count, size: 8, what)
        return ContiguousArray<Double>(unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(buffer, from: start)
            initialized = count
        }
    }

    /// Reads `count` floats.
    package mutating func readFloats(count: Int, _ what: String = "floats") throws(Malformed) -> [Float] {
        let start = try takeElements(count, size: 4, what)
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { raw in
                for index in buffer.indices {
                    buffer[index] = Float(
                        bitPattern: UInt32(
                            littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * index, as: UInt32.self)))
                }
            }
            initialized = count
        }
    }

    private mutating func takeElements(_ count: Int, size: Int, _ what: String) throws(Malformed) -> Int {
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: size)
        guard count >= 0, !overflow else { throw fault("\(what): \(count) elements is too many") }
        return try take(byteCount, what)
    }

    private func fill(_ buffer: UnsafeMutableBufferPointer<Double>, from start: Int) {
        bytes.withUnsafeBytes { raw in
            for index in buffer.indices {
                buffer[index] = Double(
                    bitPattern: UInt64(
                        littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * index, as: UInt64.self)))
            }
        }
    }

    // MARK: Variable width

    /// Reads an unsigned LEB128 integer.
    package mutating func readVarint(_ what: String) throws(Malformed) -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try read(UInt8.self, what)
            guard shift < 64, shift < 63 || next <= 1 else {
                throw Malformed(offset: start, reason: "\(what) is not a valid varint (over 64 bits)")
            }
            value |= UInt64(next & 0x7F) << shift
            if next & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// Reads an unsigned LEB128 integer that must be below `limit` (a count or an id), as an `Int`.
    package mutating func readIndex(below limit: Int, _ what: String) throws(Malformed) -> Int {
        let start = offset
        let value = try readVarint(what)
        guard value < UInt64(max(limit, 0)) else {
            throw Malformed(offset: start, reason: "\(what) \(value) out of range (must be below \(limit))")
        }
        return Int(value)
    }

    /// Reads a string written by ``ByteWriter/write(_:lengthPrefix:)``: its UTF-8 byte count, then its bytes.
    package mutating func readString(_ what: String, lengthPrefix: ByteWriter.LengthPrefix = .uint64)
        throws(Malformed) -> String
    {
        let count: Int
        switch lengthPrefix {
        case .uint64: count = try readCount("\(what) length", itemSize: 1)
        case .varint: count = try readIndex(below: remaining + 1, "\(what) length")
        }
        let start = offset
        let first = try take(count, what)
        guard let text = String(validating: bytes[first..<first + count], as: UTF8.self) else {
            throw Malformed(offset: start, reason: "\(what) is not valid UTF-8")
        }
        return text
    }

    /// Throws unless every byte has been read.
    package func expectEnd(_ what: String) throws(Malformed) {
        guard isAtEnd else { throw fault("\(remaining) bytes left over after \(what)") }
    }
}
