import LumisDistributions
import LumisTensor
import LumisWire
import Testing

/// Hand-made damage to valid frames: each is rejected with the precise error, never a trap.
@Suite struct MalformedFrameTests {
    func golden(_ name: String) throws -> FrameSurgery { FrameSurgery(bytes: try GoldenFiles.bytes(named: name)) }

    func expectError(_ expected: WireError, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: expected, sourceLocation: sourceLocation) { try MessageDecoder.decode(bytes) }
    }

    @Test("Every truncation is rejected or loses only trailing padding", arguments: GoldenMessages.names)
    func truncatedAtEveryLength(name: String) throws {
        let full = try GoldenFiles.bytes(named: name)
        let expected = GoldenMessages.message(named: name)
        for length in 0..<full.count {
            let prefix = Array(full[..<length])
            if length < 4 {
                expectError(.truncated(needed: 4, available: length), prefix)
                continue
            }
            // Strings are padded after their terminator, so a cut inside that padding still decodes.
            if let message = try? MessageDecoder.decode(prefix) {
                #expect(message == expected, "length \(length)")
                #expect(full[length...].allSatisfy { $0 == 0 }, "length \(length) decoded though data was cut")
            }
        }
    }

    @Test func emptyFrameIsTruncated() {
        expectError(.truncated(needed: 4, available: 0), [])
    }

    @Test func rootOffsetOutOfBounds() throws {
        var frame = try golden("run")
        frame.setU32(0, 0xFFFF_FF00)
        expectError(.offsetOutOfBounds(0xFFFF_FF00, field: "Message"), frame.bytes)
        frame.setU32(0, UInt32(frame.bytes.count - 2))
        expectError(.offsetOutOfBounds(frame.bytes.count - 2, field: "Message"), frame.bytes)
    }

    @Test func vtableOffsetOutOfBounds() throws {
        var frame = try golden("run")
        let root = frame.root
        frame.setU32(root, 0x8000_0000)
        expectError(.offsetOutOfBounds(root + 0x8000_0000, field: "Message vtable"), frame.bytes)
        frame.setU32(root, UInt32(bitPattern: -4000))
        expectError(.offsetOutOfBounds(root + 4000, field: "Message vtable"), frame.bytes)
    }

    @Test func malformedVTableSize() throws {
        var frame = try golden("handshake")
        let vtable = frame.vtable(of: frame.root)
        frame.bytes[vtable] = 3  // odd size
        expectError(.invalidVTable(offset: vtable, table: "Message"), frame.bytes)
        frame.bytes[vtable] = 2  // shorter than its own header
        expectError(.invalidVTable(offset: vtable, table: "Message"), frame.bytes)
    }

    @Test func fieldOffsetOutsideItsTable() throws {
        var frame = try golden("handshake")
        let vtable = frame.vtable(of: frame.root)
        let tableSize = frame.u16(vtable + 2)
        frame.bytes[vtable + 6] = UInt8(tableSize - 2)  // the 4-byte body offset would overrun the table
        expectError(.fieldOutsideTable(field: "Message.body", offset: tableSize - 2), frame.bytes)
    }

    @Test("Unknown MessageBody tags are rejected", arguments: [UInt8(12), 200])
    func unknownBodyTag(tag: UInt8) throws {
        var frame = try golden("run")
        frame.bytes[frame.field(0, of: frame.root)] = tag
        expectError(.unknownUnionTag(tag, union: "MessageBody"), frame.bytes)
    }

    @Test("Unknown Distribution tags are rejected", arguments: [UInt8(12), 200])
    func unknownDistributionTag(tag: UInt8) throws {
        var frame = try golden("sample_normal")
        frame.bytes[frame.field(2, of: frame.body)] = tag
        expectError(.unknownUnionTag(tag, union: "Distribution"), frame.bytes)
    }

    @Test func noneBodyIsMissing() throws {
        var frame = try golden("run")
        frame.bytes[frame.field(0, of: frame.root)] = 0
        expectError(.missingBody, frame.bytes)
    }

    @Test func stringWithoutTerminator() throws {
        var frame = try golden("handshake")
        let string = frame.target(0, of: frame.body)
        frame.bytes[string + 4 + frame.u32(string)] = UInt8(ascii: "x")
        expectError(.missingStringTerminator(field: "Handshake.system_name"), frame.bytes)
    }

    @Test func stringRunningPastTheFrame() throws {
        var frame = try golden("handshake")
        let string = frame.target(0, of: frame.body)
        let available = frame.bytes.count - string - 4
        frame.setU32(string, UInt32(available))  // fits, but its terminator would lie past the end
        expectError(.missingStringTerminator(field: "Handshake.system_name"), frame.bytes)
        frame.setU32(string, UInt32(available + 1))
        expectError(
            .lengthOutOfBounds(field: "Handshake.system_name", count: available + 1, available: available),
            frame.bytes
        )
    }

    @Test("Invalid UTF-8 is rejected", arguments: [[UInt8(0xFF)], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE6, 0x97]])
    func invalidUTF8(sequence: [UInt8]) throws {
        var frame = try golden("sample_normal")
        let string = frame.target(0, of: frame.body)
        frame.bytes.replaceSubrange((string + 4)..<(string + 4 + sequence.count), with: sequence)
        expectError(.invalidUTF8(field: "Sample.address"), frame.bytes)
    }

    @Test func vectorLengthTwoToThe31() throws {
        var frame = try golden("run_result")
        let tensor = frame.target(0, of: frame.body)
        let data = frame.target(0, of: tensor)
        frame.setU32(data, 0x8000_0000)
        let available = frame.bytes.count - data - 4
        expectError(
            .lengthOutOfBounds(field: "RunResult.result.data", count: 0x8000_0000, available: available),
            frame.bytes
        )
        frame.setU32(data, 0xFFFF_FFFF)
        expectError(
            .lengthOutOfBounds(field: "RunResult.result.data", count: 0xFFFF_FFFF, available: available),
            frame.bytes
        )
    }

    @Test func missingDistributionTable() throws {
        var frame = try golden("sample_normal")
        let vtable = frame.vtable(of: frame.body)
        frame.bytes[vtable + 4 + 2 * 3] = 0  // drop the distribution offset, keep its tag
        frame.bytes[vtable + 4 + 2 * 3 + 1] = 0
        expectError(.missingUnionValue(union: "Sample.distribution"), frame.bytes)
    }

    @Test func errorDescriptionsNameTheField() {
        let error = WireError.tensorShapeMismatch(shape: [3], count: 2, field: "SampleResult.result")
        #expect(error.description == "PPX frame: SampleResult.result.shape [3] does not hold its 2 data elements")
        #expect(WireError.invalidUTF8(field: "Sample.address").description.contains("Sample.address"))
        #expect(!WireError.missingBody.description.contains("\n"))
    }
}
