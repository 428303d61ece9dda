import ArgumentParser
import Foundation
import LumisCompilation
import LumisDistributed
import LumisInference
import LumisOutput
import LumisSimulation
import LumisStorage

extension LumisCommand {
    struct Calibrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check an engine by simulation-based calibration: is its posterior right on average?",
            discussion: """
                For each of --events events, draws a true trace from the prior (observations drawn from their \
                likelihood), runs the engine on its observations with --traces traces, and records where every \
                scalar latent's truth falls in the weighted posterior (PIT value), whether it lies in the central \
                50% and 90% intervals, and for a Categorical the posterior probability of the true class. A \
                calibrated engine has uniform PIT values and coverages near 0.5 and 0.9; 'lumis summary FILE' \
                flags latents whose coverage leaves its binomial 4-sigma band or whose KS p-value is below 0.001.

                Event e's truth is trace e of random stream e of --seed (trace e of 'lumis dataset --seed S'); \
                its engine seed and PIT variates come from stream 2^63 + e. The file does not depend on \
                --workers or MPI ranks. See docs/calibration.md.

                Examples:
                  lumis calibrate --launch 'simulators/build/bin/gum {endpoint}' --engine is \\
                      --events 400 --traces 200 --seed 1 --out calibration.json
                  lumis calibrate --launch 'simulators/build/bin/gum {endpoint}' --engine ic \\
                      --network gum.lumisnet --events 200 --traces 100 --workers 2 --out ic-calibration.json
                  lumis summary calibration.json
                  lumis plot calibration.json --out calibration-plots/
                """)

        @OptionGroup var connection: ConnectionOptions

        enum Engine: String, ExpressibleByArgument, CaseIterable {
            case prior, `is`, ic
        }

        @Option(
            help: """
                The engine under test: prior (prior sampling), is (importance sampling) or ic (importance sampling \
                with the proposals of a network from lumis train; needs --network).
                """)
        var engine: Engine = .is

        @Option(
            help: ArgumentHelp(
                "Inference network file for --engine ic (from lumis train; default: none).", valueName: "file"))
        var network: String?

        @Option(
            name: .customLong("events"), parsing: .unconditional, help: "Number of simulated events.",
            transform: Count.positive)
        var eventCount: Int

        @Option(
            name: .customLong("traces"), parsing: .unconditional, help: "Traces the engine runs per event.",
            transform: Count.positive)
        var traceCount: Int

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp(
                "Number of simulators run in parallel, each taking whole events (default: one per --simulator, "
                    + "else 1)."),
            transform: Count.positive)
        var workers: Int?

        @Option(help: "Random seed (default: drawn at random and printed to stderr).")
        var seed: UInt64?

        @Option(help: ArgumentHelp("Write the calibration to this JSON file.", valueName: "file"))
        var out: String

        @OptionGroup var runOptions: RunOptions

        func validate() throws {
            guard (engine == .ic) == (network != nil) else {
                throw ValidationError(
                    engine == .ic ? "--engine ic needs --network FILE." : "--network applies to --engine ic.")
            }
            do {
                try MemoryBudget.check(
                    count: traceCount, bytesEach: TraceStore.minimumBytesPerTrace, what: "--traces \(traceCount)")
            } catch {
                throw ValidationError(error.description)
            }
            if connection.launch == nil && !connection.endpoints.isEmpty && !Communicator.isLaunchedByMPI() {
                _ = try connection.simulators.source(workers: workers)
            }
        }

        func run() throws {
            let world = try Communicator.world()
            try checkOutput(world: world)
            let inferenceEngine: InferenceRun.Engine
            switch engine {
            case .prior: inferenceEngine = .prior
            case .is: inferenceEngine = .importanceSampling
            case .ic:
                // Read now, so that a bad file is one line before any simulator starts; validate() saw --network.
                do {
                    let network = SharedNetwork(try NetworkFile.readNetwork(from: network ?? ""))
                    inferenceEngine = .importance(proposal: .network(InferenceNetworkProposal(network: network)))
                } catch {
                    throw ValidationError("--network: \(error)")
                }
            }
            let (source, workers) = try connection.simulators.source(
                workers: workers, rank: world.rank, of: world.size)
            let runSeed = try seed ?? world.broadcast(UInt64.random(in: 0...UInt64.max))
            let calibration = Calibration(
                eventCount: eventCount, tracesPerEvent: traceCount, seed: runSeed, workers: workers,
                maxConsecutiveFailures: runOptions.maxFailures)
            Console.installInterruptHandlers()
            let line = runOptions.progressReporter(isRoot: world.isRoot)
            let local: Calibration.Output
            do {
                defer { line?.finish() }
                local = try calibration.run(
                    events: world.share(of: eventCount), engine: inferenceEngine,
                    makeSimulator: try source.simulatorFactory(timeout: connection.timeoutDuration)
                ) { line?.update($0) }
            } catch let error as CompiledInferenceError {
                throw ValidationError(error.description)
            }
            guard let output = try gather(local, world: world) else { return }
            let report = CalibrationReport(
                engine: inferenceEngine.name, model: output.modelName, seed: runSeed, tracesPerEvent: traceCount,
                events: output.events)
            if seed == nil { Console.note("seed \(runSeed) (drawn at random; --seed \(runSeed) repeats the run)") }
            try report.write(toFile: out)
            let flagged = report.variables.values.count { !$0.flags.isEmpty }
            Console.note(
                flagged == 0
                    ? "no latent flagged; median ESS \(String(format: "%.1f", report.medianEffectiveSampleSize)); wrote \(out)"
                    : "MISCALIBRATED: \(flagged) of \(report.variables.count) latents flagged (lumis summary \(out)); "
                        + "wrote \(out)")
        }

        /// Checks on rank 0 that `--out` can be written, before any simulator starts; if not, rank 0 throws (one
        /// line) and the other ranks wait for the launch to end.
        private func checkOutput(world: Communicator) throws {
            var problem = ""
            if world.isRoot {
                do {
                    try OutputOptions(posterior: out).check()
                } catch {
                    problem = "\(error)"
                }
            }
            let verdict = try world.broadcast(Array(problem.utf8))
            guard !verdict.isEmpty else { return }
            if world.isRoot { throw ValidationError(problem) }
            try world.barrier()
            throw ValidationError(String(decoding: verdict, as: UTF8.self))
        }

        /// Gathers the ranks' event records on rank 0, in rank (so event) order; `nil` on other ranks.
        private func gather(_ local: Calibration.Output, world: Communicator) throws -> Calibration.Output? {
            var writer = ByteWriter()
            if !world.isRoot {
                writer.write(local.modelName)
                writer.write(local.events.count)
                for event in local.events { event.serialized(into: &writer) }
            }
            guard let parts = try world.gather(writer.bytes) else { return nil }
            var merged = local
            for rank in 1..<parts.count {
                try Self.decodingPart(of: rank) { () throws(ByteReader.Malformed) in
                    var reader = ByteReader(parts[rank])
                    let model = try reader.readString("model name")
                    if merged.modelName.isEmpty { merged.modelName = model }
                    for _ in 0..<(try reader.readCount("events", itemSize: 16)) {
                        merged.events.append(try CalibrationEvent(from: &reader))
                    }
                    try reader.expectEnd("rank \(rank)'s calibration events")
                }
            }
            return merged
        }

        /// Runs `body`, turning a decoding failure into an error naming the rank whose bytes were bad.
        private static func decodingPart(of rank: Int, _ body: () throws(ByteReader.Malformed) -> Void) throws {
            do {
                try body()
            } catch {
                throw CalibrationError(description: "the events rank \(rank) sent are malformed: \(error.description)")
            }
        }
    }
}
