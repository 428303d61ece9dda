import LumisDistributions
import LumisStorage
import LumisTensor

/// The constants and value codecs of shard files, version 1 (docs/datasets.md gives the full layout).
enum ShardFormat {
    /// The format version this code writes and the newest it reads.
    static let version: UInt32 = 1
    /// The first eight bytes of every shard.
    static let magic: [UInt8] = Array("LUMISDS\0".utf8)
    /// The last eight bytes of every complete shard.
    static let endMagic: [UInt8] = Array("LUMISEND".utf8)
    /// Bytes of the header; records start here.
    static let headerSize = 48
    /// Bytes of the trailer at the end of the file.
    static let trailerSize = 32
    /// Bytes before each record's payload: its length and its CRC-32.
    static let recordPrefixSize = 8

    // Tensor tags.
    static let scalarTag: UInt8 = 0
    static let integerTag: UInt8 = 1
    static let vectorTag: UInt8 = 2
    static let generalTag: UInt8 = 3
    static let absentTag: UInt8 = 4
    static let integerTensorTag: UInt8 = 5

    // Entry flags: two bits per parameter slot (slot 0 in bits 0-1, slot 1 in bits 2-3) say how the parameter is
    // stored; a value identical to the site's first and a zero log probability are not stored.
    /// The parameter follows as a tensor.
    static let inlineParameter: UInt8 = 0
    /// The parameter is the representative's (position 0 of the site's table); nothing follows.
    static let representativeParameter: UInt8 = 1
    /// A varint position in the site's parameter table follows.
    static let internedParameter: UInt8 = 2
    static let sameValue: UInt8 = 16
    static let zeroLogProb: UInt8 = 32

    /// The shift of a parameter slot's two bits in the entry flags.
    static func parameterShift(_ slot: Int) -> UInt8 { UInt8(2 * slot) }

    /// The kinds' codes in site tables.
    static func code(_ kind: DistributionKind?) -> UInt8 { kind?.rawValue ?? 0 }

    /// Whether two tensors have the same shape and the same elements bit for bit (so −0 differs from 0 and a
    /// NaN equals itself): the test for leaving a value out of a record.
    static func identical(_ a: Tensor, _ b: Tensor) -> Bool {
        guard a.shape == b.shape, a.scalars.count == b.scalars.count else { return false }
        return a.scalars.withUnsafeBufferPointer { x in
            b.scalars.withUnsafeBufferPointer { y in
                for index in x.indices where x[index].bitPattern != y[index].bitPattern { return false }
                return true
            }
        }
    }

    /// The value as an exact `Int64` when it is an integer a varint stores in fewer bytes, else `nil`.
    static func exactInteger(_ value: Double) -> Int64? {
        guard value.isFinite, value.rounded() == value, abs(value) <= 9_007_199_254_740_992,
            !(value == 0 && value.sign == .minus)
        else { return nil }
        return Int64(value)
    }
}

extension ByteWriter {
    /// A tensor: a tag byte, then the shape as needed, then the elements (see ``ShardFormat``).
    mutating func tensor(_ tensor: Tensor?) {
        guard let tensor else { return write(ShardFormat.absentTag) }
        if tensor.shape.isEmpty {
            let value = tensor.scalars[0]
            if let integer = ShardFormat.exactInteger(value) {
                write(ShardFormat.integerTag)
                writeVarint(UInt64(bitPattern: (integer << 1) ^ (integer >> 63)))
            } else {
                write(ShardFormat.scalarTag)
                write(value)
            }
            return
        }
        let isIntegral = tensor.scalars.allSatisfy { ShardFormat.exactInteger($0) != nil }
        if isIntegral && !tensor.scalars.isEmpty {
            write(ShardFormat.integerTensorTag)
            writeVarint(tensor.shape.count)
        } else if tensor.shape.count == 1 {
            write(ShardFormat.vectorTag)
        } else {
            write(ShardFormat.generalTag)
            writeVarint(tensor.shape.count)
        }
        for dimension in tensor.shape { writeVarint(dimension) }
        if isIntegral && !tensor.scalars.isEmpty {
            for value in tensor.scalars {
                // Exact integers by the check above.
                let integer = Int64(value)
                writeVarint(UInt64(bitPattern: (integer << 1) ^ (integer >> 63)))
            }
        } else {
            for value in tensor.scalars { write(value) }
        }
    }
}

extension ByteReader {
    /// A tensor written by ``ByteWriter/tensor(_:)``; `nil` for the absent tag.
    mutating func tensor(_ what: String) throws(Malformed) -> Tensor? {
        let tagPosition = offset
        switch try read(UInt8.self, "\(what) tag") {
        case ShardFormat.absentTag: return nil
        case ShardFormat.scalarTag: return Tensor(try readDouble(what))
        case ShardFormat.integerTag:
            let zigzag = try readVarint(what)
            let integer = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
            return Tensor(Double(integer))
        case ShardFormat.vectorTag:
            let count = try readIndex(below: remaining / 8 + 1, "\(what) length")
            return Tensor(shape: [count], scalars: try readScalars(count: count, what))
        case ShardFormat.generalTag:
            let rank = try readIndex(below: remaining + 1, "\(what) rank")
            var shape: [Int] = []
            shape.reserveCapacity(rank)
            for _ in 0..<rank { shape.append(try readIndex(below: Int.max, "\(what) dimension")) }
            guard let count = Tensor.elementCount(of: shape), count <= remaining / 8 else {
                throw fault("\(what) of shape \(shape) does not fit in the \(remaining) bytes left")
            }
            return Tensor(shape: shape, scalars: try readScalars(count: count, what))
        case ShardFormat.integerTensorTag:
            let rank = try readIndex(below: remaining + 1, "\(what) rank")
            var shape: [Int] = []
            shape.reserveCapacity(rank)
            for _ in 0..<rank { shape.append(try readIndex(below: Int.max, "\(what) dimension")) }
            guard let count = Tensor.elementCount(of: shape), count <= remaining else {
                throw fault("\(what) of shape \(shape) does not fit in the \(remaining) bytes left")
            }
            var scalars = ContiguousArray<Double>()
            scalars.reserveCapacity(count)
            for _ in 0..<count {
                let zigzag = try readVarint(what)
                scalars.append(Double(Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)))
            }
            return Tensor(shape: shape, scalars: scalars)
        case let tag:
            throw Malformed(offset: tagPosition, reason: "\(what) has unknown tensor tag \(tag)")
        }
    }

    /// A tensor that must be present.
    mutating func presentTensor(_ what: String) throws(Malformed) -> Tensor {
        let start = offset
        guard let tensor = try tensor(what) else { throw Malformed(offset: start, reason: "\(what) is missing") }
        return tensor
    }
}
