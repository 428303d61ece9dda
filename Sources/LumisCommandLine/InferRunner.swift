import Foundation
import LumisCore
import LumisDistributed
import LumisInference
import LumisOutput
import LumisSimulation

/// Runs an inference job for `lumis infer`: progress on stderr, the posterior to a file or a table to stdout.
///
/// Under an MPI launch each rank runs its share of the trace indices and rank 0 merges them in index order and
/// writes the outputs, so the result equals a single-process run's (docs/distributed.md).
struct InferRunner {
    let job: InferenceJob
    var outputOptions = OutputOptions()
    let progressStyle: ProgressReporter.Style?
    /// The `--seed` given, `nil` when `job.seed` was drawn at random.
    var givenSeed: UInt64?
    var distributed = DistributedInference(world: .single)

    func run() throws {
        try distributed.checkOutputs(outputOptions)
        Console.installInterruptHandlers()
        let share = distributed.share(of: job.traceCount)
        var local: JobOutput?
        if !share.isEmpty {
            var part = job
            part.traceCount = share.count
            part.firstTraceIndex = share.lowerBound
            // Rank 0 draws its own share's progress; the other ranks stay quiet so lines never interleave.
            let line = distributed.world.isRoot ? progressStyle.map { ProgressReporter(style: $0) } : nil
            do {
                var report: (@Sendable (RunProgress) -> Void)? = nil
                if let line { report = { progress in line.update(progress) } }
                local = try part.run(progress: report)
                line?.finish()
            } catch {
                line?.finish()
                throw error
            }
        }
        guard let (output, _) = try distributed.gather(local, weighting: job.engine == .prior ? .uniform : .importance)
        else { return }
        let posterior = output.posterior
        let metadata = PosteriorMetadata(
            engine: job.engine.rawValue, seed: job.seed, model: output.report.modelName,
            observations: job.observations.values, failedTraces: output.report.discardedTraces,
            restarts: output.report.restarts)
        let summary = posterior.summary(metadata: metadata)
        distributed.noteSeed(job.seed, given: givenSeed)
        if output.report.discardedTraces > 0 || output.report.restarts > 0 {
            Console.note(
                "\(output.report.discardedTraces) trace attempts discarded and run again;"
                    + " \(output.report.restarts) simulator restarts")
        }
        if posterior.nanWeightCount > 0 {
            Console.note("\(posterior.nanWeightCount) traces had a NaN log weight and were left out of the weighting")
        }
        for path in try OutputWriters.write(summary, posterior: posterior, options: outputOptions) {
            Console.note("wrote \(path)")
        }
        if outputOptions.posterior == nil { print(summary.renderTable(), terminator: "") }
    }
}
