import Foundation
import LumisDatasets
import LumisTestSupport
import Testing

/// Where `mpirun` is, if installed.
let mpirunPath: String? = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first {
    FileManager.default.isExecutableFile(atPath: $0)
}

/// `lumis dataset` under `mpirun -np 2`: each rank its own simulators and shards, the same bytes as one process.
@Suite("Dataset under MPI", .serialized, .timeLimit(.minutes(2)), .enabled(if: mpirunPath != nil))
struct MPITests {
    @Test("Two MPI ranks write the same shards as one process, with one index file per rank")
    func twoRanks() throws {
        let lumis = try Executables.lumis()
        let single = try Executables.temporaryDirectory("ds-mpi-single")
        let ranks = try Executables.temporaryDirectory("ds-mpi-ranks")
        defer { for url in [single, ranks] { try? FileManager.default.removeItem(at: url) } }
        let arguments = [
            "dataset", "--launch", try Executables.simulator("gum") + " {endpoint}", "--traces", "700",
            "--shard-traces", "100", "--seed", "12", "--no-progress",
        ]
        let one = try Executables.run(lumis, arguments + ["--out", single.path])
        #expect(one.status == 0, "\(one.standardError)")
        let two = try Executables.run(
            try #require(mpirunPath),
            ["--allow-run-as-root", "--oversubscribe", "-np", "2", lumis] + arguments + ["--out", ranks.path],
            environment: ["OPENBLAS_NUM_THREADS": "1"])
        #expect(two.status == 0, "\(two.standardError)")
        #expect(two.standardError.contains("rank 0: wrote 700 traces in 7 shards"), "\(two.standardError)")
        let names = try FileManager.default.contentsOfDirectory(atPath: ranks.path)
        #expect(names.contains("index-rank00000.json") && names.contains("index-rank00001.json"))
        #expect(try Fixtures.shards(ranks) == (try Fixtures.shards(single)))
        #expect(try Fixtures.shards(single).count == 7)
        let reader = try DatasetReader(directory: ranks.path)
        #expect(reader.isComplete && reader.traceCount == 700)
    }

    @Test("Under mpirun each rank attaches to its share of the --simulator endpoints only")
    func attachedEndpointsAreDealtOut() throws {
        let lumis = try Executables.lumis()
        let single = try Executables.temporaryDirectory("ds-mpi-attach-single")
        let ranks = try Executables.temporaryDirectory("ds-mpi-attach-ranks")
        defer { for url in [single, ranks] { try? FileManager.default.removeItem(at: url) } }
        // Rank 0 writes shards 0, 2, 4, 6 (400 traces), rank 1 shards 1, 3, 5 (300). Each simulator dies in the
        // trace after its rank's quota, so the run succeeds only if no rank also runs traces on the other's.
        let faulty = try Executables.simulator("faulty")
        let endpoints = ["a", "b"].map { "ipc://@lumis-ds-mpi-attach-\($0)-\(getpid())" }
        let simulators = try zip(endpoints, [401, 301]).map { endpoint, dieAt in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: faulty)
            process.arguments = [endpoint, "--die-at", "\(dieAt)"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        defer {
            for process in simulators where process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        let arguments = [
            "dataset", "--traces", "700", "--shard-traces", "100", "--seed", "12", "--no-progress", "--timeout", "2",
            "--max-failures", "1",
        ]
        let two = try Executables.run(
            try #require(mpirunPath),
            ["--allow-run-as-root", "--oversubscribe", "-np", "2", lumis] + arguments
                + endpoints.flatMap { ["--simulator", $0] } + ["--out", ranks.path],
            environment: ["OPENBLAS_NUM_THREADS": "1"])
        #expect(two.status == 0, "\(two.standardError)")
        #expect(simulators.allSatisfy { $0.isRunning }, "a simulator served more than its rank's traces")
        let one = try Executables.run(lumis, arguments + ["--launch", faulty + " {endpoint}", "--out", single.path])
        #expect(one.status == 0, "\(one.standardError)")
        #expect(try Fixtures.shards(ranks) == (try Fixtures.shards(single)))
        #expect(try Fixtures.shards(ranks).count == 7)
    }
}
