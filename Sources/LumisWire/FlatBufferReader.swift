/// A verifying, zero-copy view of one FlatBuffers buffer.
///
/// Every read is bounds-checked before it happens, and every object is checked to be aligned to its size relative
/// to the buffer start, as the FlatBuffers verifier does by default: a misaligned object is rejected even though
/// the reads themselves are unaligned-safe. Offsets are unsigned and point forward, except a table's signed offset
/// to its vtable, which is never followed further; so the reader cannot loop, and its depth is fixed by the
/// schema. Field names are passed as autoclosures so that they are only built when an error is thrown.
struct FlatBufferReader {
    /// The buffer; never bound to a type, only read with `loadUnaligned`.
    let bytes: UnsafeRawBufferPointer

    /// A table located and checked: its position, its vtable and their declared sizes.
    struct Table {
        /// Byte position of the table (its signed vtable offset).
        let position: Int
        /// Byte position of its vtable.
        let vtable: Int
        /// The vtable's size in bytes, including its two-entry header.
        let vtableSize: Int
        /// The table's inline size in bytes, including the vtable offset.
        let tableSize: Int
    }

    /// A vector located and checked: where its first element is and how many there are.
    struct Vector {
        /// Byte position of the first element.
        let start: Int
        /// Number of elements.
        let count: Int
    }

    /// Reads a little-endian integer whose bounds the caller has checked.
    func load<T: FixedWidthInteger>(_ position: Int, as type: T.Type) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
    }

    /// Checks that `size` bytes at `position` lie inside the buffer and are aligned to `alignment`.
    func check(
        _ position: Int,
        size: Int,
        alignment: Int,
        field: @autoclosure () -> String
    ) throws(WireError) {
        guard position >= 0, size <= bytes.count, position <= bytes.count - size else {
            throw .offsetOutOfBounds(position, field: field())
        }
        guard position % alignment == 0 else {
            throw .misaligned(offset: position, alignment: alignment, field: field())
        }
    }

    /// The position of the root table, read from the 32-bit offset at the start of the buffer.
    ///
    /// A file identifier, when present, sits at bytes 4..<8 and is simply stepped over by that offset.
    func rootTable() throws(WireError) -> Table {
        guard bytes.count >= 4 else { throw .truncated(needed: 4, available: bytes.count) }
        return try table(at: Int(load(0, as: UInt32.self)), name: "Message")
    }

    /// Locates and checks the table at `position`: its vtable offset, its vtable header and entries, its extent.
    func table(at position: Int, name: @autoclosure () -> String) throws(WireError) -> Table {
        try check(position, size: 4, alignment: 4, field: name())
        let vtable = position - Int(load(position, as: Int32.self))
        try check(vtable, size: 4, alignment: 2, field: name() + " vtable")
        let vtableSize = Int(load(vtable, as: UInt16.self))
        let tableSize = Int(load(vtable + 2, as: UInt16.self))
        guard vtableSize >= 4, vtableSize % 2 == 0, vtableSize <= bytes.count - vtable, tableSize >= 4 else {
            throw .invalidVTable(offset: vtable, table: name())
        }
        guard tableSize <= bytes.count - position else { throw .offsetOutOfBounds(position, field: name()) }
        return Table(position: position, vtable: vtable, vtableSize: vtableSize, tableSize: tableSize)
    }

    /// The position of the scalar or offset in `slot` of `table`, or `nil` when the field is absent.
    ///
    /// Slots beyond a short vtable are absent (an older writer); fields the reader does not ask for are ignored
    /// (a newer writer).
    func field(
        _ slot: Int,
        of table: Table,
        size: Int,
        name: @autoclosure () -> String
    ) throws(WireError) -> Int? {
        let entry = 4 + 2 * slot
        guard entry + 2 <= table.vtableSize else { return nil }
        let offset = Int(load(table.vtable + entry, as: UInt16.self))
        guard offset != 0 else { return nil }
        guard offset >= 4, offset + size <= table.tableSize else {
            throw .fieldOutsideTable(field: name(), offset: offset)
        }
        let position = table.position + offset
        guard position % size == 0 else { throw .misaligned(offset: position, alignment: size, field: name()) }
        return position
    }

    /// The `UInt8` in `slot` (a union type tag or a `bool`), or `nil` when absent.
    func uint8(_ slot: Int, of table: Table, name: @autoclosure () -> String) throws(WireError) -> UInt8? {
        guard let position = try field(slot, of: table, size: 1, name: name()) else { return nil }
        return load(position, as: UInt8.self)
    }

    /// The position the offset in `slot` points to, or `nil` when absent.
    func target(_ slot: Int, of table: Table, name: @autoclosure () -> String) throws(WireError) -> Int? {
        guard let position = try field(slot, of: table, size: 4, name: name()) else { return nil }
        return position + Int(load(position, as: UInt32.self))
    }

    /// Checks the vector at `position`: its 32-bit count, its elements' alignment and extent.
    func vector(
        at position: Int,
        elementSize: Int,
        name: @autoclosure () -> String
    ) throws(WireError) -> Vector {
        try check(position, size: 4, alignment: 4, field: name())
        let count = Int(load(position, as: UInt32.self))
        let start = position + 4
        // Checked before anything is allocated, so a lying count cannot cause a huge allocation.
        let available = bytes.count - start
        guard count <= available / elementSize else {
            throw .lengthOutOfBounds(field: name(), count: count, available: available)
        }
        guard count == 0 || start % elementSize == 0 else {
            throw .misaligned(offset: start, alignment: elementSize, field: name())
        }
        return Vector(start: start, count: count)
    }

    /// The string the offset in `slot` points to, checked for its terminator and UTF-8, or `nil` when absent.
    func string(_ slot: Int, of table: Table, name: @autoclosure () -> String) throws(WireError) -> String? {
        guard let position = try target(slot, of: table, name: name()) else { return nil }
        let characters = try vector(at: position, elementSize: 1, name: name())
        let end = characters.start + characters.count
        guard end < bytes.count, bytes[end] == 0 else { throw .missingStringTerminator(field: name()) }
        let utf8 = UnsafeRawBufferPointer(rebasing: bytes[characters.start..<end])
        // ASCII (every address and name seen in practice) is valid UTF-8 as it stands, and `String(decoding:)`
        // takes it by a fast path; the generic `String(validating:)` costs about 1,000 instructions per string.
        if utf8.allSatisfy({ $0 < 0x80 }) { return String(decoding: utf8, as: UTF8.self) }
        guard let string = String(validating: utf8, as: UTF8.self) else { throw .invalidUTF8(field: name()) }
        return string
    }
}
