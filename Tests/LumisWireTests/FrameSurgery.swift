/// Reads and patches a finished frame by hand, to build malformed frames from valid ones.
struct FrameSurgery {
    var bytes: [UInt8]

    func u16(_ position: Int) -> Int { Int(bytes[position]) | Int(bytes[position + 1]) << 8 }
    func u32(_ position: Int) -> Int { (0..<4).reduce(0) { $0 | Int(bytes[position + $1]) << (8 * $1) } }
    func i32(_ position: Int) -> Int { Int(Int32(truncatingIfNeeded: UInt32(u32(position)))) }

    mutating func setU32(_ position: Int, _ value: UInt32) {
        for index in 0..<4 { bytes[position + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
    }

    /// The root table's position.
    var root: Int { u32(0) }
    /// The vtable position of the table at `table`.
    func vtable(of table: Int) -> Int { table - i32(table) }
    /// The position of field `slot` of the table at `table`.
    func field(_ slot: Int, of table: Int) -> Int {
        let offset = u16(vtable(of: table) + 4 + 2 * slot)
        precondition(offset != 0, "field \(slot) absent")
        return table + offset
    }
    /// The position the offset field `slot` of `table` points to.
    func target(_ slot: Int, of table: Int) -> Int { field(slot, of: table) + u32(field(slot, of: table)) }
    /// The message body table.
    var body: Int { target(1, of: root) }
}

/// Writes little-endian values at chosen positions, to build frames no builder would write.
struct RawFrame {
    var bytes: [UInt8]

    init(size: Int) { bytes = [UInt8](repeating: 0, count: size) }

    mutating func u16(_ position: Int, _ value: Int) {
        for index in 0..<2 { bytes[position + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
    }
    mutating func u32(_ position: Int, _ value: Int) {
        for index in 0..<4 { bytes[position + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
    }
    mutating func f64(_ position: Int, _ value: Double) {
        let bits = value.bitPattern
        for index in 0..<8 { bytes[position + index] = UInt8(truncatingIfNeeded: bits >> (8 * UInt64(index))) }
    }
}
