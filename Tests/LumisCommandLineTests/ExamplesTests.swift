import Foundation
import LumisTestSupport
import Testing

/// The examples in examples/ run as written (issue 5 part 6), at sizes that take seconds: the calorimeter
/// walkthrough on 2 MPI ranks, and the SLURM batch scripts in sequence (dataset, training, posterior), each
/// submitted twice as a requeued job would be.
@Suite(.enabled(if: MPILauncher.path != nil, "mpirun is not installed (apt-get install openmpi-bin)"))
struct ExamplesTests {
    static let examples = Executables.repositoryRoot.appendingPathComponent("examples")

    /// Writes `directory/srun`, a stand-in for SLURM's srun on this one node: the command on SLURM_NTASKS local
    /// MPI ranks.
    static func writeSrunStandIn(in directory: URL) throws {
        let srun = directory.appendingPathComponent("srun")
        try """
        #!/bin/sh
        [ "$1" = "--mpi=pmix" ] && shift
        exec mpirun --allow-run-as-root --oversubscribe -np "$SLURM_NTASKS" -x OPENBLAS_NUM_THREADS "$@"
        """.write(to: srun, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: srun.path)
    }

    /// The posterior file's trace count.
    static func traceCount(ofPosterior path: String) throws -> Int? {
        let json = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: path)))
        return (json as? [String: Any])?["traces"] as? Int
    }

    @Test("The calorimeter walkthrough goes from a dataset to a trained network to IC and IS posteriors")
    func calorimeterWalkthrough() throws {
        let directory = try Executables.temporaryDirectory("walkthrough")
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = Self.examples.appendingPathComponent("calorimeter/walkthrough.sh").path
        let sizes = [
            "RANKS": "2", "GRID": "4x6x6", "TRACES": "400", "SHARD": "150", "VALIDATION": "32", "TRAIN": "256",
            "POSTERIOR": "100", "LUMIS": try Executables.lumis(),
        ]
        let outcome = try Executables.run("/bin/bash", [script, directory.path], environment: sizes)
        #expect(outcome.status == 0, "walkthrough failed: \(outcome.standardError)")
        #expect(outcome.standardOutput.contains("== 4."))
        for engine in ["ic", "is"] {
            let posterior = directory.appendingPathComponent("posterior-\(engine).json").path
            #expect(try Self.traceCount(ofPosterior: posterior) == 100)
        }
        #expect(outcome.standardError.contains("parameters identical on 2 ranks"))
    }

    @Test("The SLURM scripts generate a dataset, train on it and infer, and resume when resubmitted")
    func slurmScripts() throws {
        let directory = try Executables.temporaryDirectory("slurm")
        defer { try? FileManager.default.removeItem(at: directory) }
        let bin = directory.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try Self.writeSrunStandIn(in: bin)
        let scratch = directory.appendingPathComponent("scratch").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let calorimeter = try Executables.simulator("calorimeter")
        let simulatorOptions = ["--grid", "4x6x6", "--noise", "0.5"]
        let environment = [
            "PATH": bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "SLURM_NTASKS": "2", "SLURM_CPUS_PER_TASK": "1", "SCRATCH": scratch, "LUMIS": try Executables.lumis(),
            "SIMULATOR": ([calorimeter, "{endpoint}"] + simulatorOptions).joined(separator: " "),
        ]
        let script = { (name: String) in Self.examples.appendingPathComponent("slurm/\(name).sbatch").path }
        let submit = { (name: String, sizes: [String: String]) throws -> Executables.Outcome in
            let outcome = try Executables.run(
                "/bin/bash", [script(name)], environment: environment.merging(sizes) { $1 })
            #expect(outcome.status == 0, "\(name).sbatch failed: \(outcome.standardError)")
            return outcome
        }
        for _ in 0..<2 { _ = try submit("dataset", ["TRACES": "300"]) }
        let training = ["TRACES": "96", "BATCH": "32", "LSTM": "16", "VALIDATION": "32"]
        // A SLURM log is not a terminal: it gets one plain progress line per validation (after the stand-in's
        // "rank 0: " prefix).
        let first = try submit("train", training)
        let validations = first.standardError.split(separator: "\n").filter {
            $0.contains(": training ") && $0.contains(" validation ")
        }
        #expect(!validations.isEmpty, "\(first.standardError)")
        let again = try submit("train", training)
        #expect(again.standardError.contains("nothing to train"))

        let event = try Executables.run(calorimeter, ["--simulate", "5"] + simulatorOptions)
        #expect(event.status == 0)
        try event.standardOutput.write(toFile: scratch + "/event.json", atomically: true, encoding: .utf8)
        let posterior = try submit("infer", ["TRACES": "100"])
        #expect(posterior.standardOutput.contains("engine: ic"))
        #expect(try Self.traceCount(ofPosterior: scratch + "/event-posterior.json") == 100)
    }
}
