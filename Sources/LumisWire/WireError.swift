/// Why a PPX frame could not be decoded; every case names the offending field or table.
///
/// Offsets are byte positions from the start of the frame. Field names read `Table.field`, with nested parts
/// joined by dots, e.g. `Normal.stddev.shape`.
public enum WireError: Error, Equatable, Sendable {
    /// The frame is shorter than the root offset (and file identifier) FlatBuffers puts first.
    case truncated(needed: Int, available: Int)
    /// An offset, or an object it leads to, reaches outside the frame.
    case offsetOutOfBounds(Int, field: String)
    /// An object is not aligned to its size relative to the frame start, as FlatBuffers requires.
    case misaligned(offset: Int, alignment: Int, field: String)
    /// A table's vtable is outside the frame, has an odd or too small size, or declares a table too small.
    case invalidVTable(offset: Int, table: String)
    /// A vtable entry puts a field outside its table's declared size.
    case fieldOutsideTable(field: String, offset: Int)
    /// A vector or string claims more elements than the frame holds after it.
    case lengthOutOfBounds(field: String, count: Int, available: Int)
    /// A string's byte after its last character is not the zero terminator.
    case missingStringTerminator(field: String)
    /// A string is not valid UTF-8.
    case invalidUTF8(field: String)
    /// A union type tag this version of PPX does not define.
    case unknownUnionTag(UInt8, union: String)
    /// The message's body union is NONE or its table is absent.
    case missingBody
    /// A union's type tag is set but its table offset is absent.
    case missingUnionValue(union: String)
    /// A tensor's shape has a negative dimension.
    case negativeDimension(shape: [Int], field: String)
    /// A tensor's shape does not hold its number of data elements (or its element count overflows).
    case tensorShapeMismatch(shape: [Int], count: Int, field: String)
}

extension WireError: CustomStringConvertible {
    /// A one-line message naming the field and, where useful, the byte offset.
    public var description: String {
        switch self {
        case .truncated(let needed, let available):
            "PPX frame truncated: needs at least \(needed) bytes, has \(available)"
        case .offsetOutOfBounds(let offset, let field):
            "PPX frame: \(field) at offset \(offset) lies outside the frame"
        case .misaligned(let offset, let alignment, let field):
            "PPX frame: \(field) at offset \(offset) is not aligned to \(alignment) bytes"
        case .invalidVTable(let offset, let table):
            "PPX frame: the vtable of \(table) at offset \(offset) is malformed"
        case .fieldOutsideTable(let field, let offset):
            "PPX frame: \(field) at table offset \(offset) lies outside its table"
        case .lengthOutOfBounds(let field, let count, let available):
            "PPX frame: \(field) claims \(count) elements but only \(available) bytes follow"
        case .missingStringTerminator(let field):
            "PPX frame: \(field) is not zero-terminated"
        case .invalidUTF8(let field):
            "PPX frame: \(field) is not valid UTF-8"
        case .unknownUnionTag(let tag, let union):
            "PPX frame: unknown \(union) union tag \(tag)"
        case .missingBody:
            "PPX frame: Message.body is missing"
        case .missingUnionValue(let union):
            "PPX frame: \(union) has a type tag but no table"
        case .negativeDimension(let shape, let field):
            "PPX frame: \(field).shape \(shape) has a negative dimension"
        case .tensorShapeMismatch(let shape, let count, let field):
            "PPX frame: \(field).shape \(shape) does not hold its \(count) data elements"
        }
    }
}
