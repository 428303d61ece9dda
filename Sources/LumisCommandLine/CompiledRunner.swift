import ArgumentParser
import Foundation
import LumisCompilation
import LumisCore
import LumisInference

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
    let outputPath: String?
    let showsProgress: Bool
    let maxFailures: Int
    let batchesProposals: Bool

    func run() throws {
        if let outputPath { try InferRunner.checkWritable(outputPath) }
        let trainer: Trainer
        do {
            trainer = try NetworkFile.read(from: networkPath)
        } catch {
            throw ValidationError("--network: \(error.description)")
        }
        let runSeed = seed ?? UInt64.random(in: 0...UInt64.max)
        if seed == nil { Console.note("seed \(runSeed)") }
        let job = CompiledInference(
            network: SharedNetwork(trainer.network), traceCount: traceCount, workers: workers, seed: runSeed,
            observations: observations, maxConsecutiveFailures: maxFailures, batchesProposals: batchesProposals)
        do {
            _ = try CompiledProposal(network: job.network, observations: observations)
        } catch let error as CompiledInferenceError {
            throw ValidationError(error.description)
        }
        Console.installInterruptHandlers()
        let line = showsProgress ? ProgressLine(isWeighted: true) : nil
        let output: CompiledInference.Output
        do {
            output = try job.run(source: source, timeout: timeout) { progress in
                line?.update(
                    completed: progress.completed, total: progress.total,
                    effectiveSampleSize: progress.effectiveSampleSize)
            }
            line?.finish()
        } catch {
            line?.finish()
            throw error
        }
        let posterior = output.job.posterior
        let metadata = PosteriorMetadata(
            engine: "ic", seed: runSeed, model: output.job.report.modelName, observations: observations.values,
            failedTraces: output.job.report.discardedTraces, restarts: output.job.report.restarts)
        let summary = output.summary(metadata: metadata)
        if output.job.report.discardedTraces > 0 || output.job.report.restarts > 0 {
            Console.note(
                "\(output.job.report.discardedTraces) trace attempts discarded and run again;"
                    + " \(output.job.report.restarts) simulator restarts")
        }
        if output.unknownDrawCount > 0 {
            let listed = output.unknownAddresses.sorted { $0.value > $1.value }.prefix(10)
                .map { "\($0.key) (\($0.value))" }
            Console.note(
                "\(output.unknownDrawCount) controlled draws at \(output.unknownAddresses.count) addresses the network "
                    + "never saw were drawn from the prior: \(listed.joined(separator: ", "))")
        }
        if posterior.nanWeightCount > 0 {
            Console.note("\(posterior.nanWeightCount) traces had a NaN log weight and were left out of the weighting")
        }
        if let outputPath {
            try summary.write(toFile: outputPath)
            Console.note("wrote \(outputPath)")
        } else {
            print(summary.renderTable(), terminator: "")
        }
    }
}
