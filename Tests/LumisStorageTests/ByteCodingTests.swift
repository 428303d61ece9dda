import LumisStorage
import Testing

/// The one byte writer and reader: layouts checked against bytes written out by hand, round trips of every kind of
/// field, and every truncation or overflow a typed error naming what and where.
@Suite("Byte writer and reader")
struct ByteCodingTests {
    @Test("Fixed-width fields are little-endian; doubles keep their bit patterns")
    func fixedWidthLayout() throws {
        var writer = ByteWriter()
        writer.write(UInt8(0xAB))
        writer.write(UInt32(0x0102_0304))
        writer.write(-2)
        writer.write(true)
        writer.write(-0.0)
        #expect(
            writer.bytes == [0xAB, 0x04, 0x03, 0x02, 0x01] + [0xFE] + [UInt8](repeating: 0xFF, count: 7) + [1]
                + [0, 0, 0, 0, 0, 0, 0, 0x80])
        var reader = ByteReader(writer.bytes)
        #expect(try reader.read(UInt8.self) == 0xAB)
        #expect(try reader.read(UInt32.self) == 0x0102_0304)
        #expect(try reader.readInt("int") == -2)
        #expect(try reader.readBool("flag"))
        let zero = try reader.readDouble()
        #expect(zero == 0 && zero.sign == .minus)
        try reader.expectEnd("the fields")
    }

    @Test(
        "LEB128 varints: seven bits a byte, low bits first",
        arguments: [
            (UInt64(0), [UInt8(0)]), (127, [0x7F]), (128, [0x80, 0x01]), (300, [0xAC, 0x02]),
            (UInt64.max, [UInt8](repeating: 0xFF, count: 9) + [0x01]),
        ] as [(UInt64, [UInt8])])
    func varint(value: UInt64, bytes: [UInt8]) throws {
        var writer = ByteWriter()
        writer.writeVarint(value)
        #expect(writer.bytes == bytes)
        var reader = ByteReader(bytes)
        #expect(try reader.readVarint("value") == value)
        #expect(reader.isAtEnd)
    }

    @Test("Strings with either length prefix, doubles, NaN payloads and overwritten slots round-trip")
    func roundTrip() throws {
        let payload = Double(bitPattern: 0x7FF8_0000_0000_1234)
        var writer = ByteWriter()
        writer.write(UInt32(0))
        writer.write("grüße", lengthPrefix: .uint64)
        writer.write("", lengthPrefix: .varint)
        writer.write("x/y", lengthPrefix: .varint)
        writer.write(doubles: [1.5, -.infinity, payload])
        writer.overwrite(UInt32(writer.count), at: 0)
        var reader = ByteReader(writer.bytes)
        #expect(try reader.read(UInt32.self) == UInt32(writer.count))
        #expect(try reader.readString("a") == "grüße")
        #expect(try reader.readString("b", lengthPrefix: .varint) == "")
        #expect(try reader.readString("c", lengthPrefix: .varint) == "x/y")
        let doubles = try reader.readScalars(count: 3)
        #expect(doubles.map(\.bitPattern) == [1.5, -.infinity, payload].map(\.bitPattern))
        #expect(reader.isAtEnd)
    }

    @Test("A sub-range reads only its bytes and reports file offsets")
    func subRangeOffsets() throws {
        let bytes: [UInt8] = [9, 9, 1, 0, 0, 0, 9]
        var reader = ByteReader(bytes, in: 2..<6, fileOffset: 100)
        #expect(reader.offset == 100)
        #expect(try reader.read(UInt32.self) == 1)
        #expect(reader.isAtEnd && reader.offset == 104)
        let error = #expect(throws: ByteReader.Malformed.self) { try reader.read(UInt8.self, "tag") }
        #expect(error?.offset == 104)
        #expect(error?.description == "truncated tag: needs 1 bytes, 0 left at byte 104")
    }

    @Test("Every prefix of valid bytes throws a typed error instead of trapping")
    func truncations() throws {
        var writer = ByteWriter()
        writer.write("address", lengthPrefix: .uint64)
        writer.write("name", lengthPrefix: .varint)
        writer.writeVarint(UInt64(1) << 40)
        writer.write(doubles: [1, 2])
        for cut in 0..<writer.count {
            var reader = ByteReader(Array(writer.bytes[..<cut]))
            #expect(throws: ByteReader.Malformed.self) {
                _ = try reader.readString("address")
                _ = try reader.readString("name", lengthPrefix: .varint)
                _ = try reader.readVarint("count")
                _ = try reader.readDoubles(count: 2)
            }
        }
    }

    @Test("Counts, lengths and indices beyond the bytes left, or over 64 bits, are refused with what and where")
    func hostileCounts() throws {
        var huge = ByteWriter()
        huge.write(UInt64.max)
        var reader = ByteReader(huge.bytes)
        let count = #expect(throws: ByteReader.Malformed.self) { try reader.readCount("trace count", itemSize: 8) }
        #expect(count?.reason.contains("trace count") == true && count?.offset == 0)

        reader = ByteReader([UInt8](repeating: 0xFF, count: 10) + [0x01])
        let varint = #expect(throws: ByteReader.Malformed.self) { try reader.readVarint("record size") }
        #expect(varint?.reason == "record size is not a valid varint (over 64 bits)")

        reader = ByteReader([5])
        let index = #expect(throws: ByteReader.Malformed.self) { try reader.readIndex(below: 5, "site id") }
        #expect(index?.reason == "site id 5 out of range (must be below 5)")

        var length = ByteWriter()
        length.write(1_000)
        length.write(bytes: [0x41])
        reader = ByteReader(length.bytes)
        #expect(throws: ByteReader.Malformed.self) { try reader.readString("model name") }

        reader = ByteReader([2])
        let flag = #expect(throws: ByteReader.Malformed.self) { try reader.readBool("failure flag") }
        #expect(flag?.reason == "failure flag is 2, not 0 or 1")

        reader = ByteReader([2, 0xC3, 0x28])
        let utf8 = #expect(throws: ByteReader.Malformed.self) { try reader.readString("name", lengthPrefix: .varint) }
        #expect(utf8?.reason == "name is not valid UTF-8" && utf8?.offset == 1)

        reader = ByteReader([0, 0])
        #expect(throws: ByteReader.Malformed.self) { try reader.readDoubles(count: Int.max) }
        #expect(throws: ByteReader.Malformed.self) { try reader.readBytes(count: -1) }
        _ = try reader.read(UInt8.self)
        let left = #expect(throws: ByteReader.Malformed.self) { try reader.expectEnd("the store") }
        #expect(left?.description == "1 bytes left over after the store at byte 1")
    }

    @Test("A negative varint is a programmer error")
    func negativeVarint() async {
        await #expect(processExitsWith: .failure) {
            var writer = ByteWriter()
            writer.writeVarint(-1)
        }
    }
}
