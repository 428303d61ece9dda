import ArgumentParser
import Foundation
import LumisCore
import LumisDatasets
import LumisDistributed
import LumisDistributions
import LumisInference
import LumisSimulation

extension LumisCommand {
    struct Dataset: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write prior traces to a sharded offline dataset for training.",
            discussion: """
                Examples:
                  lumis dataset --launch 'simulators/build/bin/gum {endpoint}' \\
                      --workers 2 --traces 1000000 --seed 1 --out gum-data/
                  lumis dataset --launch 'simulators/build/bin/gum {endpoint}' \\
                      --resume --out gum-data/
                  lumis dataset-info gum-data/

                Observations the simulator leaves without a value are drawn from their likelihood, as in \
                lumis train. Shard k holds traces [k*S, (k+1)*S) with S = --shard-traces, trace i made with \
                random stream i of --seed, so the files do not depend on --workers or ranks. A killed run \
                keeps its complete shards; --resume writes only the missing ones. Under mpirun or srun every \
                rank writes its own shards.

                Observe entries are stored with their values and log probabilities but without their \
                likelihoods (distributions), which training never reads and which can be half of a record (the \
                noiseless image of an image likelihood); --keep-likelihoods stores whole traces. See \
                docs/datasets.md.
                """)

        @OptionGroup var connection: ConnectionOptions

        @Option(
            parsing: .unconditional,
            help: "Number of simulators run in parallel (default: one per --simulator, else 1).",
            transform: Count.positive)
        var workers: Int?

        @Option(
            name: .customLong("traces"), parsing: .unconditional,
            help: "Number of traces (default with --resume: the dataset's).", transform: Count.positive)
        var traceCount: Int?

        @Option(
            parsing: .unconditional, help: "Traces per shard file (default with --resume: the dataset's; else 100000).",
            transform: Count.positive)
        var shardTraces: Int?

        @Option(help: ArgumentHelp("The dataset directory (new, or empty, unless --resume).", valueName: "dir"))
        var out: String

        @Flag(help: "Complete the dataset in --out: write only its missing shards.")
        var resume = false

        @Option(
            help: "Random seed (default: the dataset's with --resume, else random, printed to stderr with the results)."
        )
        var seed: UInt64?

        @OptionGroup var observed: ObservationOptions

        @Flag(
            help: """
                Store observe entries' likelihoods (distributions) too, i.e. whole traces (default: left out; \
                with --resume it must match the dataset).
                """)
        var keepLikelihoods = false

        @Option(
            help: """
                This writer's rank, for independent processes writing one dataset (it writes the shards k ≡ rank \
                mod --rank-count); under mpirun the MPI rank is used.
                """)
        var rank = 0

        @Option(help: "The number of writer ranks (under mpirun: the MPI size).")
        var rankCount = 1

        @OptionGroup var runOptions: RunOptions

        func validate() throws {
            if traceCount == nil && !resume {
                throw ValidationError("Give --traces (or --resume an existing dataset).")
            }
            guard rankCount > 0, rank >= 0, rank < rankCount else {
                throw ValidationError("--rank must be at least 0 and below --rank-count.")
            }
            // Under MPI the ranks are known only in run().
            if !connection.endpoints.isEmpty && !Communicator.isLaunchedByMPI() {
                _ = try connection.simulators.source(workers: workers)
            }
        }

        func run() throws {
            let world = try Communicator.world()
            let request = DatasetRun.Request(
                directory: out, traceCount: traceCount, shardTraces: shardTraces, seed: seed,
                observations: try observed.observationSet(), keepsLikelihoods: keepLikelihoods, resumes: resume,
                rank: rank, rankCount: rankCount, simulators: connection.simulators.allSimulators, workers: workers,
                timeout: connection.timeoutDuration, maxConsecutiveFailures: runOptions.maxFailures)
            let run: DatasetRun
            do {
                run = try DatasetRun(request, world: world)
            } catch let error as DatasetRun.RequestError {
                throw ValidationError(error.description)
            } catch let error as SimulatorSource.AssignmentError {
                throw connection.simulators.usageError(for: error, countOption: "--workers")
            }
            Console.installInterruptHandlers()
            // Ranks share one terminal: only rank 0 draws its progress.
            let line = runOptions.progressReporter(isRoot: run.writerRank == 0)
            let clock = ContinuousClock()
            let start = clock.now
            var progress: (@Sendable (RunProgress) -> Void)? = nil
            if let line { progress = { line.update($0) } }
            let report: DatasetWriter.Report
            do {
                report = try run.write(progress: progress)
                line?.finish()
            } catch {
                line?.finish()
                throw error
            }
            guard world.isRoot else { return }
            // The seed rule of every command: a seed drawn at random is reported with the results, not before an
            // error that leaves nothing to repeat (the manifest records it either way).
            if run.isSeedDrawn {
                Console.note("seed \(run.seed) (drawn at random; --seed \(run.seed) repeats the run)")
            }
            for line in Self.summary(report, seconds: (clock.now - start) / .seconds(1), directory: out) {
                Console.note(line)
            }
        }

        /// The closing lines: retries, then what was written and how fast.
        static func summary(_ report: DatasetWriter.Report, seconds: Double, directory: String) -> [String] {
            var lines: [String] = []
            if report.discardedTraces > 0 || report.restarts > 0 {
                lines.append(
                    "\(report.discardedTraces) trace attempts discarded and run again; \(report.restarts) simulator "
                        + "restarts")
            }
            let perTrace = report.tracesWritten > 0 ? Double(report.bytesWritten) / Double(report.tracesWritten) : 0
            var summary =
                "wrote \(report.tracesWritten) traces in \(report.shardsWritten) shards to \(directory) "
                + String(
                    format: "(%.1f bytes/trace, %.1f s, %.0f traces/s)", perTrace, seconds,
                    Double(report.tracesWritten) / max(seconds, 1e-9))
            if report.shardsSkipped > 0 { summary += "; \(report.shardsSkipped) shards were already complete" }
            lines.append(summary)
            return lines
        }
    }

    struct DatasetInfo: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dataset-info", abstract: "Describe a dataset written by lumis dataset.")

        @Argument(help: "The dataset directory.")
        var directory: String

        @Flag(help: "Also read every shard whole and check its checksum.")
        var verify = false

        @Option(help: "List at most this many trace types.")
        var types = 20

        func run() throws {
            let reader = try DatasetReader(directory: directory)
            if verify { try reader.verifyChecksums() }
            let manifest = reader.manifest
            var lines = [
                "dataset     \(directory) (format \(DatasetManifest.format) version \(manifest.version))",
                "model       \(manifest.model)",
                "seed        \(manifest.seed)",
                "likelihoods " + (manifest.keepsLikelihoods ? "kept" : "left out (observes store no distribution)"),
                "traces      \(reader.traceCount) of \(manifest.traceCount)"
                    + (reader.isComplete ? "" : " (incomplete: --resume to finish)"),
                "shards      \(reader.shards.count) of \(manifest.shardCount), " + Self.shardSizes(reader.shards)
                    + " (at most \(manifest.shardTraces) per shard)",
                "bytes       \(reader.byteCount)"
                    + (reader.traceCount > 0
                        ? String(format: " (%.1f bytes/trace)", Double(reader.byteCount) / Double(reader.traceCount))
                        : ""),
            ]
            if !manifest.observations.isEmpty {
                let fixed = manifest.observations.keys.sorted().map { "\($0)=\(manifest.observations[$0]!)" }
                lines.append("observed    " + fixed.joined(separator: ", "))
            }
            if verify { lines.append("checksums   ok") }
            lines.append("trace types \(reader.traceTypes.count)")
            for type in reader.traceTypes.sorted(by: { $0.count > $1.count }).prefix(max(types, 0)) {
                let fraction = Double(type.count) / Double(max(reader.traceCount, 1))
                let addresses = type.entries.map { entry in
                    let label = entry.name.isEmpty ? entry.address : entry.name
                    return "\(entry.kind == .sample ? "" : entry.kind == .observe ? "obs " : "tag ")\(label)"
                        + "\(entry.distribution.map { "~\($0.kind.name)" } ?? "")"
                }
                lines.append(
                    String(format: "  %8d %5.1f%%  ", type.count, 100 * fraction) + addresses.joined(separator: " "))
            }
            print(lines.joined(separator: "\n"))
        }

        /// The shards' real trace counts: "2000 traces", "3 × 1000 traces" or "2 × 1000 + 1 × 500 traces".
        static func shardSizes(_ shards: [DatasetShard]) -> String {
            var runs: [(count: Int, traces: Int)] = []
            for shard in shards {
                if let last = runs.last, last.traces == shard.traceCount {
                    runs[runs.count - 1].count += 1
                } else {
                    runs.append((1, shard.traceCount))
                }
            }
            if runs.isEmpty { return "no traces" }
            if runs.count == 1 && runs[0].count == 1 { return "\(runs[0].traces) traces" }
            return runs.map { "\($0.count) × \($0.traces)" }.joined(separator: " + ") + " traces"
        }
    }
}
