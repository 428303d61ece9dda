/// A bounds-checked little-endian reader over borrowed bytes; every read that would pass the end throws.
///
/// It holds a pointer, so it lives only inside the `withUnsafeBytes` closure that lends the bytes.
struct ByteReader {
    /// A fault in the bytes, at an offset relative to the start of the file they came from.
    struct Fault: Error {
        var offset: Int
        var reason: String
    }

    private let bytes: UnsafeRawBufferPointer
    /// The file offset of `bytes[0]`, for messages.
    private let base: Int
    private(set) var position = 0

    init(_ bytes: UnsafeRawBufferPointer, fileOffset: Int) {
        self.bytes = bytes
        self.base = fileOffset
    }

    var remaining: Int { bytes.count - position }
    var isAtEnd: Bool { position == bytes.count }
    var fileOffset: Int { base + position }

    func fault(_ reason: String) -> Fault { Fault(offset: base + position, reason: reason) }

    private mutating func need(_ count: Int, _ what: String) throws(Fault) {
        guard count <= remaining else {
            throw fault("truncated \(what): needs \(count) bytes, \(remaining) left")
        }
    }

    mutating func byte(_ what: String) throws(Fault) -> UInt8 {
        try need(1, what)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func uint32(_ what: String) throws(Fault) -> UInt32 {
        try need(4, what)
        defer { position += 4 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }

    mutating func uint64(_ what: String) throws(Fault) -> UInt64 {
        try need(8, what)
        defer { position += 8 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }

    mutating func double(_ what: String) throws(Fault) -> Double { Double(bitPattern: try uint64(what)) }

    mutating func varint(_ what: String) throws(Fault) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let start = position
            let next = try byte(what)
            guard shift < 64, shift < 63 || next <= 1 else {
                position = start
                throw fault("\(what) is not a valid varint (over 64 bits)")
            }
            value |= UInt64(next & 0x7F) << shift
            if next & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// A varint that must be below `limit` (a count or an id), as an `Int`.
    mutating func index(below limit: Int, _ what: String) throws(Fault) -> Int {
        let start = position
        let value = try varint(what)
        guard value < UInt64(limit) else {
            position = start
            throw fault("\(what) \(value) out of range (must be below \(limit))")
        }
        return Int(value)
    }

    mutating func string(_ what: String) throws(Fault) -> String {
        let length = try index(below: remaining + 1, "\(what) length")
        defer { position += length }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[position..<position + length])
        guard let text = String(validating: slice, as: UTF8.self) else { throw fault("\(what) is not valid UTF-8") }
        return text
    }

    /// Reads `count` doubles.
    mutating func doubles(_ count: Int, _ what: String) throws(Fault) -> ContiguousArray<Double> {
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: 8)
        guard !overflow else { throw fault("\(what): \(count) elements is too many") }
        try need(byteCount, what)
        var result = ContiguousArray<Double>(repeating: 0, count: count)
        let start = position
        result.withUnsafeMutableBufferPointer { out in
            for index in 0..<count {
                out[index] = Double(
                    bitPattern: UInt64(
                        littleEndian: bytes.loadUnaligned(fromByteOffset: start + 8 * index, as: UInt64.self)))
            }
        }
        position += byteCount
        return result
    }
}
