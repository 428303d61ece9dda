package import LumisStorage

/// The byte form of an inference-compilation run's counts, for merging the parts of a run split over MPI ranks
/// (beside `TraceStore+Serialization.swift`).
extension CompiledSummary {
    /// The controlled draws and prior fallbacks as bytes (fallbacks sorted by key, so equal counts give equal
    /// bytes).
    package func serialized() -> [UInt8] {
        var writer = ByteWriter()
        writer.write(controlledDraws)
        writer.write(priorFallbacks.count)
        for (key, count) in priorFallbacks.sorted(by: { $0.key < $1.key }) {
            writer.write(key)
            writer.write(count)
        }
        return writer.bytes
    }

    /// Adds the counts of another part's ``serialized()`` bytes to these.
    ///
    /// - Throws: ``ByteReader/Malformed`` for bytes that do not hold such counts; never traps.
    package mutating func add(serialized bytes: [UInt8]) throws(ByteReader.Malformed) {
        var reader = ByteReader(bytes)
        controlledDraws += try reader.readInt("controlled draws", in: 0...Int.max)
        for _ in 0..<(try reader.readCount("fallback address count", itemSize: 16)) {
            let key = try reader.readString("fallback address")
            priorFallbacks[key, default: 0] += try reader.readInt("fallbacks", in: 0...Int.max)
        }
        try reader.expectEnd("the prior fallbacks")
    }
}
