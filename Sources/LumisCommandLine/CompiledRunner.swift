import ArgumentParser
import Foundation
import LumisCompilation
import LumisCore
import LumisDistributed
import LumisInference
import LumisOutput
import LumisSimulation

/// Runs `lumis infer --engine ic`: loads the network, runs importance sampling with its proposals, reports draws
/// that fell back to the prior, and writes the posterior like the other engines.
struct CompiledRunner {
    let networkPath: String
    let source: InferenceJob.Source
    let timeout: Duration
    let traceCount: Int
    let workers: Int
    let seed: UInt64?
    let observations: ObservationSet
    let outputOptions: OutputOptions
    let progressStyle: ProgressReporter.Style?
    let maxFailures: Int
    let batchesProposals: Bool
    var distributed = DistributedInference(world: .single)

    func run() throws {
        try distributed.checkOutputs(outputOptions)
        // Inference needs the network only, not a trainer with its optimizer state.
        let network: InferenceNetwork
        do {
            network = try NetworkFile.readNetwork(from: networkPath)
        } catch {
            throw ValidationError("--network: \(error.description)")
        }
        let runSeed = try distributed.agreedSeed(seed)
        let share = distributed.share(of: traceCount)
        var job = CompiledInference(
            network: SharedNetwork(network), traceCount: max(share.count, 1), workers: workers,
            seed: runSeed, observations: observations, maxConsecutiveFailures: maxFailures,
            batchesProposals: batchesProposals)
        job.firstTraceIndex = share.lowerBound
        // Ranks sharing a node share its cores: each computes at most its part of them at once.
        job.proposalBatchConcurrency = distributed.world.coresPerRank
        do {
            _ = try CompiledProposal(network: job.network, observations: observations)
        } catch let error as CompiledInferenceError {
            throw ValidationError(error.description)
        } catch let mismatch as NetworkMismatch {
            throw ValidationError("--network \(networkPath): \(mismatch)")
        }
        Console.installInterruptHandlers()
        var local: CompiledInference.Output?
        if !share.isEmpty {
            let line = distributed.world.isRoot ? progressStyle.map { ProgressReporter(style: $0) } : nil
            do {
                local = try job.run(source: source, timeout: timeout) { line?.update($0) }
                line?.finish()
            } catch let mismatch as NetworkMismatch {
                line?.finish()
                throw NetworkMismatchError(description: "--network \(networkPath): \(mismatch)")
            } catch {
                line?.finish()
                throw error
            }
        }
        guard let output = try gather(local) else { return }
        let posterior = output.job.posterior
        let metadata = PosteriorMetadata(
            engine: "ic", seed: runSeed, model: output.job.report.modelName, observations: observations.values,
            failedTraces: output.job.report.discardedTraces, restarts: output.job.report.restarts)
        let summary = output.summary(metadata: metadata)
        distributed.noteSeed(runSeed, given: seed)
        if output.job.report.discardedTraces > 0 || output.job.report.restarts > 0 {
            Console.note(
                "\(output.job.report.discardedTraces) trace attempts discarded and run again;"
                    + " \(output.job.report.restarts) simulator restarts")
        }
        if output.unknownDrawCount > 0 {
            let listed = output.unknownAddresses.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .prefix(10)
                .map { "\($0.key) (\($0.value))" }
            Console.note(
                "\(output.unknownDrawCount) controlled draws at \(output.unknownAddresses.count) addresses the network "
                    + "never saw were drawn from the prior: \(listed.joined(separator: ", "))")
        }
        if posterior.nanWeightCount > 0 {
            Console.note("\(posterior.nanWeightCount) traces had a NaN log weight and were left out of the weighting")
        }
        for path in try OutputWriters.write(summary, posterior: posterior, options: outputOptions) {
            Console.note("wrote \(path)")
        }
        if outputOptions.posterior == nil { print(summary.renderTable(), terminator: "") }
    }

    /// Merges the ranks' traces (in trace order) and prior-fallback counts on rank 0 (whose share is never
    /// empty); `nil` on other ranks.
    private func gather(_ local: CompiledInference.Output?) throws -> CompiledInference.Output? {
        var writer = ByteWriter()
        if let local {
            writer.write(local.controlledDraws)
            writer.write(local.unknownAddresses.count)
            for (key, count) in local.unknownAddresses.sorted(by: { $0.key < $1.key }) {
                writer.write(key)
                writer.write(count)
            }
        }
        guard let (job, extras) = try distributed.gather(local?.job, weighting: .importance, extra: writer.bytes),
            var merged = local
        else { return nil }
        merged.job = job
        for rank in 1..<extras.count where !extras[rank].isEmpty {
            try DistributedInference.decodingPart(of: rank) { () throws(ByteReader.Malformed) in
                var reader = ByteReader(extras[rank])
                merged.controlledDraws += try reader.readInt("controlled draws", in: 0...Int.max)
                for _ in 0..<(try reader.readCount("fallback address count", itemSize: 16)) {
                    let key = try reader.readString("fallback address")
                    merged.unknownAddresses[key, default: 0] += try reader.readInt("fallbacks", in: 0...Int.max)
                }
                try reader.expectEnd("rank \(rank)'s prior fallbacks")
            }
        }
        return merged
    }
}

/// A simulator that does not fit the network, found once it answered: a run failure (exit 1), named with the file.
struct NetworkMismatchError: Error, CustomStringConvertible {
    var description: String
}
