import ArgumentParser
import Foundation
import LumisCore
import LumisInference
import LumisOutput


extension LumisCommand {
    struct Infer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a simulator many times and write the (weighted) posterior.",
            discussion: """
                Examples:
                  lumis infer --launch 'simulators/build/bin/gum {endpoint}' --observe obs0=8 --observe obs1=9 \\
                      --traces 20000 --out posterior.json
                  lumis infer --simulator tcp://127.0.0.1:5555 --engine prior --traces 1000
                """)

        @OptionGroup var connection: ConnectionOptions

        enum Engine: String, ExpressibleByArgument, CaseIterable {
            case prior, `is`
            var engine: InferenceJob.Engine { self == .prior ? .prior : .importanceSampling }
        }

        @Option(help: "Inference engine: prior (prior sampling) or is (importance sampling).")
        var engine: Engine = .is

        @Option(name: .customLong("traces"), help: "Number of traces.")
        var traceCount = 1_000

        @Option(help: "Number of simulators run in parallel.")
        var workers: Int?

        @Option(
            name: .customLong("observe"),
            help: ArgumentHelp("An observation, name=value; value is a number or a JSON array.", valueName: "name=value"))
        var observations: [String] = []

        @Option(help: ArgumentHelp("JSON file of observations {\"name\": value}.", valueName: "file"))
        var observeFile: String?

        @Option(help: "Random seed (default: random, printed to stderr).")
        var seed: UInt64?

        @Option(help: ArgumentHelp("Write the posterior to this JSON file.", valueName: "file"))
        var out: String?

        @Option(
            help: ArgumentHelp(
                "Write every draw to this CSV file (chain, draw, weight, one column per variable element).",
                valueName: "file"))
        var drawsCSV: String?

        @Option(
            name: .customLong("netcdf"),
            help: ArgumentHelp("Write an ArviZ InferenceData NetCDF file of the draws.", valueName: "file"))
        var netCDF: String?

        @Option(help: "Failed trace attempts in a row after which a worker gives up.")
        var maxFailures = 10

        @Flag(inversion: .prefixedNo, help: "Show a progress line on stderr (default: when stderr is a terminal).")
        var progress: Bool?

        func validate() throws {
            guard traceCount > 0 else { throw ValidationError("--traces must be positive.") }
            if let workers, workers <= 0 { throw ValidationError("--workers must be positive.") }
            guard maxFailures >= 0 else { throw ValidationError("--max-failures must not be negative.") }
        }

        func run() throws {
            var observationSet = ObservationSet()
            do {
                if let observeFile { try observationSet.add(contentsOfFile: observeFile) }
                for assignment in observations { try observationSet.add(assignment: assignment) }
            } catch {
                throw ValidationError(error.description)
            }
            let workerCount = workers ?? max(connection.endpoints.count, 1)
            let job = InferenceJob(
                source: try connection.source(workers: workerCount), engine: engine.engine, traceCount: traceCount,
                workers: workerCount, seed: seed ?? UInt64.random(in: 0...UInt64.max),
                observations: observationSet, timeout: connection.timeoutDuration,
                maxConsecutiveFailures: maxFailures)
            if seed == nil { Console.note("seed \(job.seed)") }
            try InferRunner(
                job: job, outputPath: out, outputOptions: OutputOptions(drawsCSV: drawsCSV, netCDF: netCDF),
                showsProgress: progress ?? Console.isTerminal
            ).run()
        }
    }
}
