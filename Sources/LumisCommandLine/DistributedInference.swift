import ArgumentParser
import Foundation
import LumisCore
import LumisDistributed
import LumisInference
import LumisOutput
import LumisSimulation
import LumisStorage
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

    /// The one seed rule of every engine: a seed drawn at random (none was given) is printed on stderr by rank 0
    /// with the results, as `--seed` help says; not up front, so a run that fails at once says one line only.
    func noteSeed(_ seed: UInt64, given: UInt64?) {
        if given == nil && world.isRoot {
            Console.note("seed \(seed) (drawn at random; --seed \(seed) repeats the run)")
        }
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

    /// This rank's simulators, by the one rule of every command (``SimulatorOptions/source(workers:rank:of:countOption:)``):
    /// with `--launch` each rank starts its own processes on endpoints that hold its process id and a random
    /// nonce, so ranks on one node never collide; with `--simulator` this rank's contiguous share of the endpoints.
    func source(connection: ConnectionOptions, workers: Int?) throws -> (source: SimulatorSource, workers: Int) {
        try connection.simulators.source(workers: workers, rank: world.rank, of: world.size)
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
        let empty = JobOutput(store: TraceStore(), weighting: weighting, report: TraceSampler.Report())
        // Rank 0 keeps its own traces: it sends only its counters.
        let bytes = (output ?? empty).serialized(extra: extra, includesStore: !world.isRoot)
        guard let parts = try world.gather(bytes) else { return nil }
        var merged = output ?? empty
        var extras: [[UInt8]] = [extra]
        for rank in 1..<parts.count {
            try Self.decodingPart(of: rank) { () throws(ByteReader.Malformed) in
                extras.append(try merged.append(serialized: parts[rank]))
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
        let bytes = !world.isRoot ? part.map { $0.output.serialized(failure: $0.failure) } ?? [] : []
        guard let parts = try world.gather(bytes) else { return nil }
        var output =
            part?.output ?? MCMCOutput(chainSet: ChainSet(chains: [], statistics: []), finalStates: [], modelName: "")
        var failure = localFailure
        for rank in 1..<parts.count where !parts[rank].isEmpty {
            try Self.decodingPart(of: rank) { () throws(ByteReader.Malformed) in
                let (remoteOutput, remoteFailure) = try MCMCOutput.deserialize(parts[rank])
                let remote = ChainsPart(output: remoteOutput, failure: remoteFailure)
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
