import LumisDistributions
import LumisTensor
import LumisWire
import Testing

/// Builds frames the encoder would never write (odd tensors, extra or missing fields) with the raw builder.
enum CustomFrames {
    /// A `SampleResult` whose tensor has exactly these vectors; `nil` leaves a vector out.
    static func sampleResult(data: [Double]?, shape: [Int]?) -> [UInt8] {
        var builder = FlatBufferBuilder()
        let dataOffset = data.map { values in values.withUnsafeBufferPointer { builder.createVector($0) } }
        let shapeOffset = shape.map { builder.createInt32Vector($0) }
        builder.startTable()
        if let dataOffset { builder.add(dataOffset, slot: 0) }
        if let shapeOffset { builder.add(shapeOffset, slot: 1) }
        let tensor = builder.endTable()
        builder.startTable()
        builder.add(tensor, slot: 0)
        return finish(&builder, tag: 6, body: builder.endTable())
    }

    /// Wraps `body` in a `Message` and returns the finished bytes.
    static func finish(_ builder: inout FlatBufferBuilder, tag: UInt8, body: FlatBufferOffset) -> [UInt8] {
        builder.startTable()
        builder.add(body, slot: 1)
        builder.add(tag, slot: 0)
        builder.finish(root: builder.endTable())
        return builder.withFinishedBytes { Array($0) }
    }
}

/// pyprob's tensor rules: empty means none, shape [] is a scalar or a vector, shapes must hold the data.
@Suite struct TensorDecodingTests {
    func decodedResult(data: [Double]?, shape: [Int]?) throws(WireError) -> Tensor? {
        guard
            case .sampleResult(let result) = try MessageDecoder.decode(
                CustomFrames.sampleResult(data: data, shape: shape)
            )
        else { preconditionFailure("not a SampleResult") }
        return result
    }

    @Test func scalarFromEmptyShape() throws {
        #expect(try decodedResult(data: [2.5], shape: []) == Tensor(2.5))
    }

    @Test func vectorFromEmptyShapeWithSeveralData() throws {
        #expect(try decodedResult(data: [1, 2, 3], shape: []) == Tensor([1, 2, 3]))
    }

    @Test func absentShapeReadsAsEmptyShape() throws {
        #expect(try decodedResult(data: [4], shape: nil) == Tensor(4))
    }

    @Test func matrixKeepsItsShape() throws {
        #expect(
            try decodedResult(data: [1, 2, 3, 4, 5, 6], shape: [3, 2])
                == Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        )
    }

    @Test("No data means no value", arguments: [[Int]?.none, [], [0], [2, 0], [3]])
    func emptyDataIsNil(shape: [Int]?) throws {
        #expect(try decodedResult(data: [], shape: shape) == nil)
        #expect(try decodedResult(data: nil, shape: shape) == nil)
    }

    @Test func shapeClaimingMoreThanTheData() {
        #expect(throws: WireError.tensorShapeMismatch(shape: [3], count: 2, field: "SampleResult.result")) {
            try decodedResult(data: [1, 2], shape: [3])
        }
        #expect(throws: WireError.tensorShapeMismatch(shape: [2, 3], count: 4, field: "SampleResult.result")) {
            try decodedResult(data: [1, 2, 3, 4], shape: [2, 3])
        }
    }

    @Test func shapeClaimingLessThanTheData() {
        #expect(throws: WireError.tensorShapeMismatch(shape: [1], count: 2, field: "SampleResult.result")) {
            try decodedResult(data: [1, 2], shape: [1])
        }
    }

    @Test func overflowingShape() {
        let shape = [Int(Int32.max), Int(Int32.max), Int(Int32.max)]
        #expect(throws: WireError.tensorShapeMismatch(shape: shape, count: 1, field: "SampleResult.result")) {
            try decodedResult(data: [1], shape: shape)
        }
    }

    @Test func negativeDimension() {
        #expect(throws: WireError.negativeDimension(shape: [2, -1], field: "SampleResult.result")) {
            try decodedResult(data: [1, 2], shape: [2, -1])
        }
        #expect(throws: WireError.negativeDimension(shape: [-2], field: "SampleResult.result")) {
            try decodedResult(data: [], shape: [-2])
        }
    }

    @Test func nanAndInfinitySurviveBitExactly() throws {
        let payloadNaN = Double(bitPattern: 0x7FF8_0000_DEAD_BEEF)
        let result = try #require(try decodedResult(data: [payloadNaN, -.infinity, -0.0], shape: [3]))
        #expect(result.scalars.map(\.bitPattern) == [payloadNaN, -.infinity, -0.0].map(\.bitPattern))
    }
}

/// Frames from older or newer writers: short vtables, unknown fields, NONE unions, missing parameters.
@Suite struct SchemaEvolutionTests {
    @Test func shortVTableMeansAbsentFields() throws {
        var builder = FlatBufferBuilder()
        let address = builder.createString("site")
        builder.startTable()
        builder.add(address, slot: 0)
        let sample = builder.endTable()
        let frame = CustomFrames.finish(&builder, tag: 5, body: sample)
        #expect(try MessageDecoder.decode(frame) == .sample(Sample(address: "site", name: "", distribution: nil)))
    }

    @Test func unknownExtraFieldsAreIgnored() throws {
        var builder = FlatBufferBuilder()
        let name = builder.createString("lumis")
        let extra = builder.createString("from the future")
        builder.startTable()
        builder.add(name, slot: 0)
        builder.add(extra, slot: 6)
        builder.add(UInt8(42), slot: 9)
        let handshake = builder.endTable()
        builder.startTable()
        builder.add(handshake, slot: 1)
        builder.add(UInt8(1), slot: 0)
        builder.add(UInt8(7), slot: 5)  // an unknown Message field too
        builder.finish(root: builder.endTable())
        let frame = builder.withFinishedBytes { Array($0) }
        #expect(try MessageDecoder.decode(frame) == .handshake(systemName: "lumis"))
    }

    @Test func explicitControlValues() throws {
        for (byte, isControlled) in [(UInt8(0), false), (1, true), (2, true)] {
            var builder = FlatBufferBuilder()
            builder.startTable()
            builder.add(byte, slot: 4)
            let sample = builder.endTable()
            guard
                case .sample(let decoded) = try MessageDecoder.decode(
                    CustomFrames.finish(&builder, tag: 5, body: sample)
                )
            else { Issue.record("not a sample"); continue }
            #expect(decoded.isControlled == isControlled)
        }
    }

    @Test func missingDistributionParameterIsEmptyTensor() throws {
        var builder = FlatBufferBuilder()
        builder.startTable()
        let emptyTensor = builder.endTable()
        builder.startTable()
        builder.add(emptyTensor, slot: 0)  // mean present but with neither vector; stddev absent
        let normal = builder.endTable()
        builder.startTable()
        builder.add(normal, slot: 3)
        builder.add(DistributionKind.normal.rawValue, slot: 2)
        let sample = builder.endTable()
        let empty = Tensor(shape: [0], scalars: [])
        #expect(
            try MessageDecoder.decode(CustomFrames.finish(&builder, tag: 5, body: sample))
                == .sample(Sample(address: "", name: "", distribution: .normal(mean: empty, stddev: empty)))
        )
    }

    @Test func noneDistributionIsNilWhateverFollows() throws {
        var frame = FrameSurgery(bytes: try GoldenFiles.bytes(named: "sample_normal"))
        frame.bytes[frame.field(2, of: frame.body)] = 0
        #expect(
            try MessageDecoder.decode(frame.bytes)
                == .sample(Sample(address: "[forward()+0x2a; main+0x1f]", name: "mu", distribution: nil))
        )
    }
}

/// Alignment: FlatBuffers writers align every scalar to its size; like the reference verifier, we reject
/// objects that are not, although our unaligned loads could read them.
@Suite struct AlignmentTests {
    /// A hand-laid `SampleResult{data [x], shape []}` whose data vector starts at `dataVector`.
    static func frame(dataVector: Int) -> [UInt8] {
        var raw = RawFrame(size: dataVector + 12)
        raw.u32(0, 12)  // root → Message table at 12
        for (index, value) in [8, 12, 8, 4].enumerated() { raw.u16(4 + 2 * index, value) }  // Message vtable
        raw.u32(12, 8)  // Message table: vtable at 12 − 8 = 4
        raw.u32(16, 32 - 16)  // body → SampleResult table at 32
        raw.bytes[20] = 6  // body_type SampleResult
        for (index, value) in [6, 8, 4].enumerated() { raw.u16(24 + 2 * index, value) }  // SampleResult vtable
        raw.u32(32, 8)  // SampleResult table: vtable at 24
        raw.u32(36, 40 - 36)  // result → Tensor table at 40
        raw.u32(40, -12)  // Tensor table: vtable at 40 + 12 = 52, after the table
        raw.u32(44, dataVector - 44)
        raw.u32(48, 60 - 48)
        for (index, value) in [8, 12, 4, 8].enumerated() { raw.u16(52 + 2 * index, value) }  // Tensor vtable
        raw.u32(60, 0)  // shape: []
        raw.u32(dataVector, 1)
        raw.f64(dataVector + 4, 1.5)
        return raw.bytes
    }

    @Test func alignedHandLaidFrameDecodes() throws {
        #expect(try MessageDecoder.decode(Self.frame(dataVector: 68)) == .sampleResult(result: Tensor(1.5)))
    }

    @Test func misalignedDoubleVectorIsRejected() {
        #expect(throws: WireError.misaligned(offset: 68, alignment: 8, field: "SampleResult.result.data")) {
            try MessageDecoder.decode(Self.frame(dataVector: 64))
        }
    }

    @Test func misalignedTableIsRejected() throws {
        var frame = FrameSurgery(bytes: try GoldenFiles.bytes(named: "run"))
        frame.setU32(0, UInt32(frame.root + 2))
        #expect(throws: WireError.misaligned(offset: frame.root, alignment: 4, field: "Message")) {
            try MessageDecoder.decode(frame.bytes)
        }
    }
}
