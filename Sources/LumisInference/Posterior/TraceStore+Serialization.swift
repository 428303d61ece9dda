import LumisCore
import LumisStorage
import LumisTensor

/// Why bytes could not be read back as a ``TraceStore``.
public struct TraceStoreDecodingError: Error, Equatable, CustomStringConvertible {
    /// What was wrong, with the byte offset.
    public var description: String
}

extension TraceStore {
    /// The first bytes of every serialized store: `"LMTS"`.
    static let magic: [UInt8] = Array("LMTS".utf8)
    /// The format version written and the only one read.
    static let formatVersion: UInt32 = 1

    /// The store as compact bytes that ``init(serialized:)`` reads back: the same traces in the same order, the
    /// same site, shape and trace-type tables, so statistics of the copy equal the original's to the bit.
    ///
    /// Layout (little-endian; counts and integers 64-bit; docs/distributed.md): magic `LMTS`, version (32 bits),
    /// then the shape table, the site table (kind, address, instance, name, controlled flag, shape id, and an
    /// observe site's first value), the trace types (site codes, result shape id), and per trace its type id and
    /// log weight, then the value arena.
    /// - Complexity: O(size of the store).
    public func serialized() -> [UInt8] {
        var writer = ByteWriter()
        writer.write(bytes: Self.magic)
        writer.write(Self.formatVersion)
        writer.write(shapes.count)
        for shape in shapes {
            writer.write(shape.count)
            for dimension in shape { writer.write(dimension) }
        }
        writer.write(sites.count)
        for (id, site) in sites.enumerated() {
            writer.write(site.kind.rawValue)
            writer.write(site.address)
            writer.write(site.instance)
            writer.write(site.name)
            writer.write(site.isControlled)
            writer.write(UInt32(siteShapeIDs[id]))
            let offset = siteConstantOffsets[id]
            writer.write(offset >= 0)
            if offset >= 0 { writer.write(doubles: constants[offset..<offset + siteElementCounts[id]]) }
        }
        writer.write(traceTypeCount)
        for type in 0..<traceTypeCount {
            let codes = typeCodes[typeCodeStarts[type]..<typeCodeStarts[type + 1]]
            writer.write(codes.count)
            for code in codes { writer.write(code) }
            writer.write(typeResultShapeIDs[type])
        }
        writer.write(count)
        for type in traceTypes { writer.write(type) }
        writer.write(doubles: logWeights)
        writer.write(values.count)
        writer.write(doubles: values)
        return writer.bytes
    }

    /// Reads a store written by ``serialized()``.
    ///
    /// Every count, index and length is checked against the input, so damaged or hostile bytes throw rather than
    /// trap or allocate without bound.
    /// - Throws: ``TraceStoreDecodingError`` naming what is wrong and where.
    public init(serialized bytes: [UInt8]) throws(TraceStoreDecodingError) {
        self.init()
        var reader = ByteReader(bytes)
        do {
            try decode(from: &reader)
        } catch {
            throw TraceStoreDecodingError(description: "trace store: \(error.description)")
        }
    }

    private mutating func decode(from reader: inout ByteReader) throws(ByteReader.Malformed) {
        for byte in Self.magic {
            guard try reader.read(UInt8.self) == byte else {
                throw reader.fault("not a serialized trace store (bad magic)")
            }
        }
        let version = try reader.read(UInt32.self)
        guard version == Self.formatVersion else {
            throw reader.fault("version \(version) is not supported (only \(Self.formatVersion))")
        }
        let shapeCount = try reader.readCount("shape count", itemSize: 8)
        guard shapeCount <= Int(Int32.max) else { throw reader.fault("too many shapes (\(shapeCount))") }
        for index in 0..<shapeCount {
            let rank = try reader.readCount("rank of shape \(index)", itemSize: 8)
            var shape: [Int] = []
            for _ in 0..<rank { shape.append(try reader.readInt("dimension of shape \(index)", in: 0...Int.max)) }
            // Every shape of a real store holds values somewhere in it, so this bounds every later size sum.
            guard let elements = Tensor.elementCount(of: shape), elements <= reader.remaining / 8 else {
                throw reader.fault("shape \(index) \(shape) has more elements than the input holds")
            }
            guard internShape(shape) == Int32(index) else {
                throw reader.fault("shape \(index) \(shape) repeats an earlier one")
            }
        }
        let siteCount = try reader.readCount("site count", itemSize: 31)
        for index in 0..<siteCount {
            let rawKind = try reader.read(UInt8.self)
            guard let kind = Trace.Kind(rawValue: rawKind) else {
                throw reader.fault("site \(index) has unknown kind \(rawKind)")
            }
            let address = try reader.readString("address of site \(index)")
            let instance = try reader.readInt("instance of site \(index)", in: 1...Int.max)
            let name = try reader.readString("name of site \(index)")
            let isControlled = try reader.readBool("controlled flag of site \(index)")
            let shapeID = try reader.read(UInt32.self)
            guard Int(shapeID) < shapes.count else {
                throw reader.fault("site \(index) has unknown shape \(shapeID)")
            }
            let shape = shapes[Int(shapeID)]
            let site = ShapedSite(
                kind: kind, address: address, instance: instance, name: name, isControlled: isControlled, shape: shape)
            let hasConstant = try reader.readBool("constant flag of site \(index)")
            guard hasConstant == (kind == .observe) else {
                throw reader.fault("site \(index): only observe sites have a first value")
            }
            let constant: [Double]? =
                hasConstant ? try reader.readDoubles(count: Tensor.elementCount(of: shape) ?? 0) : nil
            guard siteIDs[site] == nil else { throw reader.fault("site \(index) repeats an earlier one") }
            _ = addSite(site, constant: constant)
        }
        let typeCount = try reader.readCount("trace type count", itemSize: 12)
        var codes: [UInt32] = []
        for index in 0..<typeCount {
            let codeCount = try reader.readCount("site count of trace type \(index)", itemSize: 4)
            codes.removeAll(keepingCapacity: true)
            for _ in 0..<codeCount {
                let code = try reader.read(UInt32.self)
                let site = Int(code >> 1)
                guard site < sites.count, code & 1 == 0 || siteConstantOffsets[site] >= 0 else {
                    throw reader.fault("trace type \(index) has invalid site code \(code)")
                }
                codes.append(code)
            }
            let resultShapeID = try reader.read(Int32.self)
            guard resultShapeID >= -1, Int(resultShapeID) < shapes.count else {
                throw reader.fault("trace type \(index) has unknown result shape \(resultShapeID)")
            }
            guard addType(codes: codes, resultShapeID: resultShapeID) == index else {
                throw reader.fault("trace type \(index) repeats an earlier one")
            }
        }
        let traceCount = try reader.readCount("trace count", itemSize: 12)
        guard traceCount <= Int(UInt32.max) else { throw reader.fault("too many traces (\(traceCount))") }
        var types: [UInt32] = []
        types.reserveCapacity(traceCount)
        var valueCount = 0
        for index in 0..<traceCount {
            let type = try reader.read(UInt32.self)
            guard Int(type) < traceTypeCount else {
                throw reader.fault("trace \(index) has unknown trace type \(type)")
            }
            types.append(type)
            // Bounded by the bytes left below, so the sum cannot overflow before that check trips.
            valueCount += typeValueCounts[Int(type)]
            guard valueCount <= reader.remaining / 8 else {
                throw reader.fault("trace \(index): its values exceed the bytes left")
            }
        }
        let weights = try reader.readDoubles(count: traceCount)
        let storedValueCount = try reader.readCount("value count", itemSize: 8)
        guard storedValueCount == valueCount else {
            throw reader.fault("\(storedValueCount) values stored; the trace types need \(valueCount)")
        }
        let arena = try reader.readDoubles(count: valueCount)
        try reader.expectEnd("the trace store")
        appendTraces(types: types, logWeights: weights, values: arena)
    }
}
