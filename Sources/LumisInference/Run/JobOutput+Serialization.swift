import LumisSimulation
package import LumisStorage

/// The byte form of an importance-sampling (or prior, or IC) run's output, for merging the traces of a run split
/// over processes (beside `TraceStore+Serialization.swift`, whose store bytes it embeds).
extension JobOutput {
    /// This output as bytes with `extra` engine-specific bytes: what one process of a run split over MPI ranks
    /// sends to rank 0.
    ///
    /// Layout: model name, discarded attempts, restarts, the store (``TraceStore/serialized()``, length first; left
    /// out with `includesStore == false`), then `extra`, length first.
    package func serialized(extra: [UInt8], includesStore: Bool = true) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(report.modelName)
        writer.write(report.discardedTraces)
        writer.write(report.restarts)
        let storeBytes = includesStore ? store.serialized() : []
        writer.write(storeBytes.count)
        writer.write(bytes: storeBytes)
        writer.write(extra.count)
        writer.write(bytes: extra)
        return writer.bytes
    }

    /// Appends the traces and counters of another process's ``serialized(extra:includesStore:)`` bytes, which
    /// follow this output's traces in trace order; returns that process's extra bytes.
    ///
    /// - Throws: ``ByteReader/Malformed`` for bytes that do not hold such an output; never traps.
    package mutating func append(serialized bytes: [UInt8]) throws(ByteReader.Malformed) -> [UInt8] {
        var reader = ByteReader(bytes)
        let modelName = try reader.readString("model name")
        let discarded = try reader.readInt("discarded traces", in: 0...Int.max)
        let restarts = try reader.readInt("restarts", in: 0...Int.max)
        let storeOffset = reader.offset
        let storeBytes = try reader.readBytes(count: try reader.readCount("store length", itemSize: 1))
        let extra = try reader.readBytes(count: try reader.readCount("extra length", itemSize: 1))
        try reader.expectEnd("the result")
        let part: TraceStore
        do {
            part = try TraceStore(serialized: storeBytes)
        } catch {
            throw ByteReader.Malformed(offset: storeOffset, reason: "\(error)")
        }
        report.discardedTraces += discarded
        report.restarts += restarts
        if report.modelName.isEmpty { report.modelName = modelName }
        store.append(contentsOf: part)
        return extra
    }
}
