import LumisCore
package import LumisStorage
import LumisTensor

/// The byte form of an MCMC run's output, for merging the chains of a run split over processes (beside
/// `TraceStore+Serialization.swift`, whose store bytes it embeds).
extension MCMCOutput {
    /// This output as bytes, with the chain that stopped it and why: what one process of a run split over MPI
    /// ranks sends to rank 0.
    ///
    /// Layout: model name, notes, failure flag (chain, message), then per chain its store
    /// (``TraceStore/serialized()``, length first), its log joints, counters, address tables and final state.
    package func serialized(failure: (chain: Int, message: String)?) -> [UInt8] {
        var writer = ByteWriter()
        let output = self
        writer.write(output.modelName)
        writer.write(output.notes.count)
        for note in output.notes { writer.write(note) }
        writer.write(failure != nil)
        if let failure {
            writer.write(failure.chain)
            writer.write(failure.message)
        }
        writer.write(output.chainSet.chains.count)
        for (index, store) in output.chainSet.chains.enumerated() {
            let bytes = store.serialized()
            writer.write(bytes.count)
            writer.write(bytes: bytes)
            writer.write(doubles: output.chainSet.logJoints[index])
            Self.encode(output.chainSet.statistics[index], into: &writer)
            writer.write(output.finalStates[index] != nil)
            if let state = output.finalStates[index] { Self.encode(state, into: &writer) }
        }
        return writer.bytes
    }

    private static func encode(_ statistics: ChainStatistics, into writer: inout ByteWriter) {
        for count in [
            statistics.proposals, statistics.accepted, statistics.reusedSamples, statistics.controlledSamples,
            statistics.restarts, statistics.discardedProposals,
        ] {
            writer.write(count)
        }
        for table in [statistics.proposalsByAddress, statistics.acceptedByAddress] {
            writer.write(table.count)
            for (address, count) in table.sorted(by: { $0.key < $1.key }) {
                writer.write(address)
                writer.write(count)
            }
        }
    }

    private static func encode(_ state: ChainState, into writer: inout ByteWriter) {
        writer.write(state.steps)
        writer.write(state.entries.count)
        for entry in state.entries {
            writer.write(entry.address)
            writer.write(entry.instance)
            writer.write(entry.name)
            writer.write(entry.value.shape.count)
            for dimension in entry.value.shape { writer.write(dimension) }
            writer.write(doubles: entry.value.scalars)
        }
    }

    /// Reads what ``serialized(failure:)`` wrote.
    ///
    /// - Throws: ``ByteReader/Malformed`` for bytes that do not hold such an output; never traps.
    package static func deserialize(
        _ bytes: [UInt8]
    ) throws(ByteReader.Malformed) -> (output: MCMCOutput, failure: (chain: Int, message: String)?) {
        var reader = ByteReader(bytes)
        let modelName = try reader.readString("model name")
        var notes: [String] = []
        for _ in 0..<(try reader.readCount("note count", itemSize: 8)) { notes.append(try reader.readString("note")) }
        var failure: (chain: Int, message: String)?
        if try reader.readBool("failure flag") {
            failure = (try reader.readInt("failed chain", in: 0...Int.max), try reader.readString("failure"))
        }
        var stores: [TraceStore] = []
        var statistics: [ChainStatistics] = []
        var states: [ChainState?] = []
        var logJoints: [[Double]] = []
        for _ in 0..<(try reader.readCount("chain count", itemSize: 8)) {
            let storeOffset = reader.offset
            let bytes = try reader.readBytes(count: try reader.readCount("store length", itemSize: 1))
            do {
                stores.append(try TraceStore(serialized: bytes))
            } catch {
                throw ByteReader.Malformed(offset: storeOffset, reason: "\(error)")
            }
            let draws = stores[stores.count - 1].count
            guard draws <= reader.remaining / 8 else {
                throw reader.fault("a chain's log joints need more bytes than are left")
            }
            logJoints.append(try reader.readDoubles(count: draws))
            statistics.append(try decodeStatistics(from: &reader))
            states.append(try reader.readBool("state flag") ? try decodeState(from: &reader) : nil)
        }
        try reader.expectEnd("the chains")
        return (
            MCMCOutput(
                chainSet: ChainSet(chains: stores, statistics: statistics, logJoints: logJoints), finalStates: states,
                modelName: modelName, notes: notes),
            failure
        )
    }

    private static func decodeStatistics(from reader: inout ByteReader) throws(ByteReader.Malformed)
        -> ChainStatistics
    {
        var statistics = ChainStatistics()
        statistics.proposals = try reader.readInt("proposals", in: 0...Int.max)
        statistics.accepted = try reader.readInt("accepted", in: 0...Int.max)
        statistics.reusedSamples = try reader.readInt("reused samples", in: 0...Int.max)
        statistics.controlledSamples = try reader.readInt("controlled samples", in: 0...Int.max)
        statistics.restarts = try reader.readInt("restarts", in: 0...Int.max)
        statistics.discardedProposals = try reader.readInt("discarded proposals", in: 0...Int.max)
        for index in 0..<2 {
            var table: [String: Int] = [:]
            for _ in 0..<(try reader.readCount("address count", itemSize: 16)) {
                let address = try reader.readString("address")
                table[address] = try reader.readInt("count of \(address)", in: 0...Int.max)
            }
            if index == 0 { statistics.proposalsByAddress = table } else { statistics.acceptedByAddress = table }
        }
        return statistics
    }

    private static func decodeState(from reader: inout ByteReader) throws(ByteReader.Malformed) -> ChainState {
        let steps = try reader.readInt("steps", in: 0...Int.max)
        var entries: [ChainState.Entry] = []
        for _ in 0..<(try reader.readCount("entry count", itemSize: 32)) {
            let address = try reader.readString("address")
            let instance = try reader.readInt("instance", in: 1...Int.max)
            let name = try reader.readString("name")
            var shape: [Int] = []
            for _ in 0..<(try reader.readCount("rank", itemSize: 8)) {
                shape.append(try reader.readInt("dimension", in: 0...Int.max))
            }
            guard let count = Tensor.elementCount(of: shape), count <= reader.remaining / 8 else {
                throw reader.fault("the value of \(address) has more elements than the bytes left")
            }
            let scalars = try reader.readScalars(count: count)
            entries.append(
                .init(address: address, instance: instance, name: name, value: Tensor(shape: shape, scalars: scalars)))
        }
        return ChainState(steps: steps, entries: entries)
    }
}
