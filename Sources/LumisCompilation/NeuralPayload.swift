import LumisNeural

/// The parameter section of a network file: the store's values and ranges, and the Adam state.
///
/// Layout (little-endian): UInt64 range count, then per range UInt64 start and count; UInt64 value count and the
/// values as Float64 bits; Adam's hyperparameters (5 × Float64), step (UInt64), and its two moment arrays (UInt64
/// count + Float64 bits each).
///
/// Adam's moments are written, but LumisNeural does not yet offer a public way to restore them: a loaded
/// optimizer starts with fresh moments and the saved hyperparameters. Switch this file to LumisNeural's
/// parameter-file format when it lands (it restores the full optimizer state).
enum NeuralPayload {
    static func encode(store: ParameterStore, optimizer: Adam) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendLittleEndian(UInt64(store.ranges.count))
        for range in store.ranges {
            bytes.appendLittleEndian(UInt64(range.start))
            bytes.appendLittleEndian(UInt64(range.count))
        }
        bytes.appendDoubles(store.values)
        for value in [optimizer.learningRate, optimizer.beta1, optimizer.beta2, optimizer.epsilon, optimizer.weightDecay] {
            bytes.appendLittleEndian(value.bitPattern)
        }
        bytes.appendLittleEndian(UInt64(optimizer.step))
        bytes.appendDoubles(optimizer.firstMoments)
        bytes.appendDoubles(optimizer.secondMoments)
        return bytes
    }

    static func decode(_ bytes: [UInt8]) throws(NetworkFileError) -> (ParameterStore, Adam) {
        var reader = ByteReader(bytes: bytes)
        let rangeCount = try reader.readCount(what: "parameter ranges", elementSize: 16)
        var ranges: [ParameterRange] = []
        ranges.reserveCapacity(rangeCount)
        var next = 0
        for _ in 0..<rangeCount {
            let start = try reader.readUInt64(what: "parameter ranges")
            let count = try reader.readUInt64(what: "parameter ranges")
            guard start == UInt64(next), count <= UInt64(bytes.count) else {
                throw .malformedPayload("parameter ranges do not tile the store")
            }
            ranges.append(ParameterRange(start: Int(start), count: Int(count)))
            next += Int(count)
        }
        let values = try reader.readDoubles(what: "parameter values")
        guard values.count == next else { throw .malformedPayload("\(values.count) values for ranges covering \(next)") }
        guard values.allSatisfy(\.isFinite) else { throw .malformedPayload("non-finite parameter value") }
        var hyper: [Double] = []
        for _ in 0..<5 { hyper.append(Double(bitPattern: try reader.readUInt64(what: "optimizer settings"))) }
        guard hyper[0] >= 0, hyper[0].isFinite, hyper[1] >= 0, hyper[1] < 1, hyper[2] >= 0, hyper[2] < 1,
            hyper[3] > 0, hyper[4] >= 0, hyper[4].isFinite
        else { throw .malformedPayload("invalid Adam settings \(hyper)") }
        _ = try reader.readUInt64(what: "optimizer step")
        _ = try reader.readDoubles(what: "optimizer moments")
        _ = try reader.readDoubles(what: "optimizer moments")
        guard reader.offset == bytes.count else { throw .malformedPayload("\(bytes.count - reader.offset) extra bytes") }
        let optimizer = Adam(
            learningRate: hyper[0], beta1: hyper[1], beta2: hyper[2], epsilon: hyper[3], weightDecay: hyper[4])
        return (ParameterStore(values: values, ranges: ranges), optimizer)
    }
}

extension ByteReader {
    /// A count of elements of `elementSize` bytes that must fit in what is left.
    mutating func readCount(what: String, elementSize: Int) throws(NetworkFileError) -> Int {
        let value = try readUInt64(what: what)
        let left = bytes.count - offset
        guard value <= UInt64(left / elementSize) else {
            throw .truncated(section: what, needed: Int(clamping: value) &* elementSize, available: left)
        }
        return Int(value)
    }

    mutating func readDoubles(what: String) throws(NetworkFileError) -> [Double] {
        let count = try readCount(what: what, elementSize: 8)
        var values: [Double] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(Double(bitPattern: try readUInt64(what: what))) }
        return values
    }
}

extension [UInt8] {
    mutating func appendDoubles(_ values: [Double]) {
        appendLittleEndian(UInt64(values.count))
        for value in values { appendLittleEndian(value.bitPattern) }
    }
}
