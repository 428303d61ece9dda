import ArgumentParser
import Foundation
import LumisCore
import LumisDistributed
import LumisInference
import LumisOutput
import LumisSimulation
import LumisTensor

/// How `lumis infer` splits a run over the ranks of an MPI launch and merges it on rank 0 (docs/distributed.md).
///
/// Every helper is a no-op split (rank 0 of 1 takes everything) without MPI, so one code path serves both.
/// Collectives are called in the same order on every rank, from the main thread.
struct DistributedInference {
    /// The processes of the launch.
    let world: Communicator

    /// The seed every rank uses: the given one, else one rank 0 draws and broadcasts.
    func agreedSeed(_ seed: UInt64?) throws -> UInt64 {
        try seed ?? world.broadcast(UInt64.random(in: 0...UInt64.max))
    }

    /// Checks on rank 0 that the outputs can be written, before any simulator starts; if not, rank 0 throws (and
    /// so ends the launch with one error line) while the other ranks wait for that end.
    func checkOutputs(_ outputs: OutputOptions) throws {
        var problem = ""
        if world.isRoot {
            do {
                try outputs.check()
            } catch {
                problem = "\(error)"
            }
        }
        let verdict = try world.broadcast(Array(problem.utf8))
        guard !verdict.isEmpty else { return }
        if world.isRoot { throw OutputError(description: problem) }
        // Rank 0 reports the error and aborts the launch, which ends this rank here.
        try world.barrier()
        throw OutputError(description: String(decoding: verdict, as: UTF8.self))
    }

    /// This rank's simulators: with `--launch` the command (each rank starts its own processes on endpoints that
    /// hold its process id and a random nonce, so ranks on one node never collide); with `--simulator`, under MPI,
    /// this rank's contiguous share of the endpoints (at least one per rank).
    func source(connection: ConnectionOptions, workers: Int) throws -> (source: InferenceJob.Source, workers: Int) {
        guard world.usesMPI, connection.launch == nil else {
            return (try connection.simulators.source(workers: workers), workers)
        }
        let endpoints = connection.endpoints
        guard endpoints.count >= world.size else {
            throw ValidationError(
                "under MPI the --simulator endpoints are split over the ranks: \(world.size) ranks need at least "
                    + "\(world.size) endpoints, got \(endpoints.count)")
        }
        let share = Array(endpoints[world.share(of: endpoints.count)])
        return (.attach(endpoints: share), share.count)
    }

    /// This rank's part of `count` traces or chains.
    func share(of count: Int) -> Range<Int> { world.share(of: count) }

    // MARK: Importance sampling

    /// Gathers every rank's traces and counters on rank 0, in rank order (so in trace-index order), with each
    /// rank's `extra` bytes; `nil` on the other ranks.
    ///
    /// - Parameters:
    ///   - output: this rank's traces, or `nil` if its share was empty.
    ///   - extra: engine-specific bytes, returned per rank to rank 0.
    func gather(_ output: JobOutput?, weighting: Posterior.Weighting, extra: [UInt8] = []) throws
        -> (output: JobOutput, extras: [[UInt8]])?
    {
        var writer = ByteWriter()
        writer.write(output?.report.modelName ?? "")
        writer.write(output?.report.discardedTraces ?? 0)
        writer.write(output?.report.restarts ?? 0)
        let storeBytes = world.isRoot ? [] : (output?.store ?? TraceStore()).serialized()
        writer.write(storeBytes.count)
        writer.write(bytes: storeBytes)
        writer.write(extra.count)
        writer.write(bytes: extra)
        guard let parts = try world.gather(writer.bytes) else { return nil }
        var merged = output ?? JobOutput(store: TraceStore(), weighting: weighting, report: TraceSampler.Report())
        var extras: [[UInt8]] = [extra]
        for rank in 1..<parts.count {
            try Self.decodingPart(of: rank) { () throws(ByteReader.Malformed) in
                var reader = ByteReader(parts[rank])
                let modelName = try reader.readString("model name")
                merged.report.discardedTraces += try reader.readInt("discarded traces", in: 0...Int.max)
                merged.report.restarts += try reader.readInt("restarts", in: 0...Int.max)
                let storeBytes = try reader.readBytes(count: try reader.readCount("store length", itemSize: 1))
                extras.append(try reader.readBytes(count: try reader.readCount("extra length", itemSize: 1)))
                try reader.expectEnd("rank \(rank)'s result")
                if merged.report.modelName.isEmpty { merged.report.modelName = modelName }
                do {
                    merged.store.append(contentsOf: try TraceStore(serialized: storeBytes))
                } catch {
                    throw ByteReader.Malformed("\(error)")
                }
            }
        }
        return (merged, extras)
    }

    /// Runs `body`, turning a decoding failure into an error naming the rank whose bytes were bad.
    static func decodingPart(of rank: Int, _ body: () throws(ByteReader.Malformed) -> Void) throws {
        do {
            try body()
        } catch {
            throw DistributedError(description: "the result rank \(rank) sent is malformed: \(error.description)")
        }
    }

    // MARK: MCMC

    /// What one rank's chains produced, or how they stopped.
    struct ChainsPart {
        /// The chains' draws, statistics and states.
        var output: MCMCOutput
        /// The chain that stopped the rank's chains and why.
        var failure: (chain: Int, message: String)?
    }

    /// Gathers every rank's chains on rank 0, in chain order; `nil` on the other ranks.
    ///
    /// A rank whose chains stopped on an error still sends what they did; rank 0 returns the first such error
    /// (lowest rank) holding the draws of all chains, as a single process does.
    func gather(_ part: ChainsPart?, localFailure: MCMCFailure?) throws -> (output: MCMCOutput, failure: MCMCFailure?)?
    {
        var writer = ByteWriter()
        if !world.isRoot, let part { Self.encode(part, into: &writer) }
        guard let parts = try world.gather(writer.bytes) else { return nil }
        var output =
            part?.output ?? MCMCOutput(chainSet: ChainSet(chains: [], statistics: []), finalStates: [], modelName: "")
        var failure = localFailure
        for rank in 1..<parts.count where !parts[rank].isEmpty {
            try Self.decodingPart(of: rank) { () throws(ByteReader.Malformed) in
                var reader = ByteReader(parts[rank])
                let remote = try Self.decodeChains(from: &reader)
                try reader.expectEnd("rank \(rank)'s chains")
                output.chainSet.chains += remote.output.chainSet.chains
                output.chainSet.statistics += remote.output.chainSet.statistics
                output.chainSet.logJoints += remote.output.chainSet.logJoints
                output.finalStates += remote.output.finalStates
                output.notes += remote.output.notes
                if output.modelName.isEmpty { output.modelName = remote.output.modelName }
                if failure == nil, let (chain, message) = remote.failure {
                    failure = MCMCFailure(
                        chain: chain, underlying: RemoteFailure(rank: rank, message: message), partial: remote.output)
                }
            }
        }
        failure?.partial = output
        return (output, failure)
    }

    private static func encode(_ part: ChainsPart, into writer: inout ByteWriter) {
        let output = part.output
        writer.write(output.modelName)
        writer.write(output.notes.count)
        for note in output.notes { writer.write(note) }
        writer.write(part.failure != nil)
        if let failure = part.failure {
            writer.write(failure.chain)
            writer.write(failure.message)
        }
        writer.write(output.chainSet.chains.count)
        for (index, store) in output.chainSet.chains.enumerated() {
            let bytes = store.serialized()
            writer.write(bytes.count)
            writer.write(bytes: bytes)
            writer.write(doubles: output.chainSet.logJoints[index])
            encode(output.chainSet.statistics[index], into: &writer)
            writer.write(output.finalStates[index] != nil)
            if let state = output.finalStates[index] { encode(state, into: &writer) }
        }
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

    private static func decodeChains(from reader: inout ByteReader) throws(ByteReader.Malformed) -> ChainsPart {
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
            let bytes = try reader.readBytes(count: try reader.readCount("store length", itemSize: 1))
            do {
                stores.append(try TraceStore(serialized: bytes))
            } catch {
                throw ByteReader.Malformed("\(error)")
            }
            let draws = stores[stores.count - 1].count
            guard draws <= reader.remaining / 8 else {
                throw ByteReader.Malformed("a chain's log joints need more bytes than are left")
            }
            logJoints.append(try reader.readDoubles(count: draws))
            statistics.append(try decodeStatistics(from: &reader))
            states.append(try reader.readBool("state flag") ? try decodeState(from: &reader) : nil)
        }
        return ChainsPart(
            output: MCMCOutput(
                chainSet: ChainSet(chains: stores, statistics: statistics, logJoints: logJoints), finalStates: states,
                modelName: modelName,
                notes: notes),
            failure: failure)
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
                throw ByteReader.Malformed("the value of \(address) has more elements than the bytes left")
            }
            let scalars = try reader.readDoubles(count: count)
            entries.append(
                .init(
                    address: address, instance: instance, name: name,
                    value: Tensor(
                        shape: shape,
                        scalars: ContiguousArray(scalars))))
        }
        return ChainState(steps: steps, entries: entries)
    }
}

/// A failure met on some rank of an MPI launch, reported by rank 0.
struct RemoteFailure: Error, CustomStringConvertible {
    /// The rank that met it.
    var rank: Int
    /// Its message.
    var message: String

    var description: String { "\(message) (on rank \(rank))" }
}

/// A distributed run that cannot go on.
struct DistributedError: Error, CustomStringConvertible {
    var description: String
}
