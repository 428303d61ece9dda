/// A reference to an object already written into a ``FlatBufferBuilder``: its distance from the buffer's end.
///
/// The builder writes back to front, so an object's distance from the end never changes once written.
public struct FlatBufferOffset: Sendable, Hashable {
    /// Bytes between the object's first byte and the end of the buffer.
    public let distanceFromEnd: Int
}

/// Writes one FlatBuffers buffer at a time, back to front, into storage it keeps between buffers.
///
/// Follows the FlatBuffers binary format: little-endian scalars, each scalar aligned to its size relative to the
/// end of the finished buffer, tables preceded by a signed offset to their vtable, identical vtables shared,
/// vectors and strings prefixed by a 32-bit element count, strings followed by a zero byte. After the first
/// few buffers have grown the storage, building a buffer of the same size allocates nothing.
///
/// Usage: ``reset()``, create leaves (strings, vectors, child tables) before their parents, then
/// ``startTable()``, `add…` the fields, ``endTable()``, and finally ``finish(root:fileIdentifier:)``.
public struct FlatBufferBuilder {
    /// The bytes; the buffer under construction is `storage[head...]`.
    private var storage: [UInt8]
    /// Index of the first written byte in `storage`.
    private var head: Int
    /// The largest alignment any written scalar needed; the finished buffer's size is a multiple of it.
    private var minimumAlignment = 1
    /// Fields of the open table: vtable slot and the field's distance from the end.
    private var openFields: [(slot: Int, distance: Int)] = []
    /// Distance from the end where the open table began, or `nil` when no table is open.
    private var tableStart: Int?
    /// Distances from the end of every vtable written into the current buffer, for sharing.
    private var vtables: [Int] = []
    /// Whether ``finish(root:fileIdentifier:)`` has run since the last ``reset()``.
    private var isFinished = false

    /// Creates a builder whose storage starts at `initialCapacity` bytes and doubles when full.
    ///
    /// - Precondition: `initialCapacity > 0`.
    public init(initialCapacity: Int = 1024) {
        precondition(initialCapacity > 0, "FlatBufferBuilder needs a positive initial capacity")
        storage = [UInt8](repeating: 0, count: initialCapacity)
        head = initialCapacity
        openFields.reserveCapacity(8)
        vtables.reserveCapacity(16)
    }

    /// Number of bytes written so far.
    public var size: Int { storage.count - head }

    /// Discards the buffer under construction, keeping the storage for the next one.
    public mutating func reset() {
        head = storage.count
        minimumAlignment = 1
        openFields.removeAll(keepingCapacity: true)
        tableStart = nil
        vtables.removeAll(keepingCapacity: true)
        isFinished = false
    }

    /// Lends the finished buffer's bytes to `body`; they are valid only inside it.
    ///
    /// - Precondition: ``finish(root:fileIdentifier:)`` has been called since the last ``reset()``.
    public func withFinishedBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        precondition(isFinished, "FlatBufferBuilder: finish the buffer before reading it")
        return try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[head...])) }
    }

    // MARK: Raw writing

    /// Makes room for `count` more bytes in front of `head`, doubling the storage as needed.
    private mutating func reserve(_ count: Int) {
        guard head < count else { return }
        let used = size
        var capacity = storage.count * 2
        while capacity - used < count { capacity *= 2 }
        var grown = [UInt8](repeating: 0, count: capacity)
        grown.withUnsafeMutableBytes { target in
            storage.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(rebasing: target[(capacity - used)...])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[head...]))
            }
        }
        storage = grown
        head = capacity - used
    }

    /// Writes `count` zero bytes.
    private mutating func pad(_ count: Int) {
        guard count > 0 else { return }
        reserve(count)
        for index in (head - count)..<head { storage[index] = 0 }
        head -= count
    }

    /// Pads so that after writing `additionalBytes` more bytes the size is a multiple of `alignment`.
    private mutating func prepare(alignment: Int, additionalBytes: Int) {
        minimumAlignment = max(minimumAlignment, alignment)
        let misalignment = (size + additionalBytes) % alignment
        pad(misalignment == 0 ? 0 : alignment - misalignment)
    }

    /// Writes one scalar's little-endian bytes without alignment.
    private mutating func push<T: FixedWidthInteger>(_ value: T) {
        let width = MemoryLayout<T>.size
        reserve(width)
        head -= width
        let position = head
        storage.withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: position, as: T.self) }
    }

    /// Overwrites a scalar already written at `distance` from the end.
    private mutating func overwrite<T: FixedWidthInteger>(_ value: T, atDistance distance: Int) {
        let position = storage.count - distance
        storage.withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: position, as: T.self) }
    }

    /// Aligns, then writes a 32-bit offset from the written position to `target`.
    private mutating func pushOffset(to target: FlatBufferOffset) {
        prepare(alignment: 4, additionalBytes: 0)
        precondition(target.distanceFromEnd <= size, "FlatBufferBuilder: offset refers to an object not yet written")
        push(UInt32(size - target.distanceFromEnd + 4))
    }

    // MARK: Strings and vectors

    /// Writes a string: 32-bit byte count, the UTF-8 bytes and a zero terminator.
    ///
    /// - Returns: The string's offset.
    public mutating func createString(_ string: String) -> FlatBufferOffset {
        precondition(tableStart == nil, "FlatBufferBuilder: create strings before starting a table")
        var string = string
        return string.withUTF8 { utf8 in
            prepare(alignment: 4, additionalBytes: utf8.count + 1)
            reserve(utf8.count + 1)
            head -= 1
            storage[head] = 0
            head -= utf8.count
            let start = head
            storage.withUnsafeMutableBytes { bytes in
                UnsafeMutableRawBufferPointer(rebasing: bytes[start..<(start + utf8.count)])
                    .copyMemory(from: UnsafeRawBufferPointer(utf8))
            }
            push(UInt32(utf8.count))
            return FlatBufferOffset(distanceFromEnd: size)
        }
    }

    /// Pads so that both the elements and the count in front of them end up aligned.
    ///
    /// Like the C++ builder, an empty vector is only aligned for its count: no element needs aligning.
    private mutating func prepareVector(byteCount: Int, alignment: Int) {
        guard byteCount > 0 else { return }
        prepare(alignment: 4, additionalBytes: byteCount)
        prepare(alignment: alignment, additionalBytes: byteCount)
    }

    /// Writes a vector of `Double`: 32-bit count, then the elements aligned to 8 bytes.
    ///
    /// - Returns: The vector's offset.
    public mutating func createVector(_ elements: UnsafeBufferPointer<Double>) -> FlatBufferOffset {
        precondition(tableStart == nil, "FlatBufferBuilder: create vectors before starting a table")
        let byteCount = elements.count * 8
        prepareVector(byteCount: byteCount, alignment: 8)
        for element in elements.reversed() { push(element.bitPattern) }
        prepare(alignment: 4, additionalBytes: 0)
        push(UInt32(elements.count))
        return FlatBufferOffset(distanceFromEnd: size)
    }

    /// Writes a vector of `Int32` from `Int`s: 32-bit count, then the elements.
    ///
    /// - Precondition: every element fits in `Int32`.
    /// - Returns: The vector's offset.
    public mutating func createInt32Vector(_ elements: [Int]) -> FlatBufferOffset {
        precondition(tableStart == nil, "FlatBufferBuilder: create vectors before starting a table")
        prepareVector(byteCount: elements.count * 4, alignment: 4)
        for element in elements.reversed() {
            precondition(Int32(exactly: element) != nil, "FlatBufferBuilder: \(element) does not fit in Int32")
            push(Int32(truncatingIfNeeded: element))
        }
        prepare(alignment: 4, additionalBytes: 0)
        push(UInt32(elements.count))
        return FlatBufferOffset(distanceFromEnd: size)
    }

    // MARK: Tables

    /// Opens a table; add its fields, then call ``endTable()``.
    ///
    /// - Precondition: no table is open (FlatBuffers tables cannot be nested while built).
    public mutating func startTable() {
        precondition(tableStart == nil, "FlatBufferBuilder: a table is already open")
        openFields.removeAll(keepingCapacity: true)
        tableStart = size
    }

    /// Adds a `UInt8` field (a union type tag or a `bool`) in vtable `slot`.
    public mutating func add(_ value: UInt8, slot: Int) {
        precondition(tableStart != nil, "FlatBufferBuilder: no open table")
        push(value)
        openFields.append((slot, size))
    }

    /// Adds an offset field (table, vector, string or union value) in vtable `slot`.
    public mutating func add(_ target: FlatBufferOffset, slot: Int) {
        precondition(tableStart != nil, "FlatBufferBuilder: no open table")
        pushOffset(to: target)
        openFields.append((slot, size))
    }

    /// Closes the open table: writes its vtable offset and its vtable, sharing an identical earlier vtable.
    ///
    /// - Returns: The table's offset.
    public mutating func endTable() -> FlatBufferOffset {
        guard let start = tableStart else { preconditionFailure("FlatBufferBuilder: no open table") }
        // Placeholder for the table's signed offset to its vtable.
        prepare(alignment: 4, additionalBytes: 0)
        push(Int32(0))
        let table = size
        var slotCount = 0
        for field in openFields { slotCount = max(slotCount, field.slot + 1) }
        let vtableSize = 4 + 2 * slotCount
        let tableSize = table - start
        precondition(tableSize <= Int(UInt16.max), "FlatBufferBuilder: table too large")

        // Write the vtable in place (entries back to front), then look for an identical earlier one.
        reserve(vtableSize)
        head -= vtableSize
        let vtableStart = head
        storage.withUnsafeMutableBytes { bytes in
            bytes.storeBytes(of: UInt16(vtableSize).littleEndian, toByteOffset: vtableStart, as: UInt16.self)
            bytes.storeBytes(of: UInt16(tableSize).littleEndian, toByteOffset: vtableStart + 2, as: UInt16.self)
            for slot in 0..<slotCount {
                bytes.storeBytes(of: UInt16(0), toByteOffset: vtableStart + 4 + 2 * slot, as: UInt16.self)
            }
            for field in openFields {
                let fieldOffset = UInt16(table - field.distance).littleEndian
                bytes.storeBytes(of: fieldOffset, toByteOffset: vtableStart + 4 + 2 * field.slot, as: UInt16.self)
            }
        }
        var vtable = size
        if let shared = existingVTable(equalToBytesAt: vtableStart, count: vtableSize) {
            head += vtableSize
            vtable = shared
        } else {
            vtables.append(vtable)
        }
        // vtable position = table position − soffset; positions grow as distances shrink.
        overwrite(Int32(vtable - table), atDistance: table)
        tableStart = nil
        openFields.removeAll(keepingCapacity: true)
        return FlatBufferOffset(distanceFromEnd: table)
    }

    /// The distance of an earlier vtable with the same `count` bytes as those at `position`, if any.
    private func existingVTable(equalToBytesAt position: Int, count: Int) -> Int? {
        storage.withUnsafeBytes { bytes in
            let candidate = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
            for distance in vtables {
                let start = storage.count - distance
                let existingSize = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt16.self))
                if Int(existingSize) == count && candidate.elementsEqual(bytes[start..<(start + count)]) {
                    return distance
                }
            }
            return nil
        }
    }

    // MARK: Finishing

    /// Writes the root offset (and the 4-byte file identifier, if given) in front of everything.
    ///
    /// - Precondition: no table is open; `fileIdentifier` has exactly 4 ASCII bytes.
    public mutating func finish(root: FlatBufferOffset, fileIdentifier: String? = nil) {
        precondition(tableStart == nil, "FlatBufferBuilder: close the open table before finishing")
        let identifierBytes = fileIdentifier.map { Array($0.utf8) }
        if let identifierBytes {
            precondition(identifierBytes.count == 4, "FlatBuffers file identifiers are 4 bytes")
        }
        prepare(alignment: minimumAlignment, additionalBytes: identifierBytes == nil ? 4 : 8)
        if let identifierBytes {
            for byte in identifierBytes.reversed() { push(byte) }
        }
        pushOffset(to: root)
        isFinished = true
    }
}
