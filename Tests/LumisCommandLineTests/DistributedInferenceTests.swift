import Foundation
import LumisInference
import LumisTestSupport
import Testing

/// The `mpirun` executable on `PATH`, if any.
private let mpirunPath: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}()

/// `mpirun -np R lumis infer` with the real C++ simulators: the merged posterior file of a split run is
/// byte-identical to the single-process file of the same seed (the format holds no run-time fields), for IS,
/// MCMC (and resuming), IC and uneven splits; a rank that fails ends the launch with one error line.
///
/// Byte equality of the files is the strongest form of "equal in all statistics": every mean, stddev,
/// quantile, ESS, log evidence and diagnostic is written in shortest round-trip form, so any difference in
/// any bit would show. It holds because trace *i* (chain *c*) uses the same random stream on any rank and rank 0
/// appends the ranks' traces in index order, so the merged store, and every sum over it, is the same.
@Suite(
    "lumis infer under mpirun", .serialized, .timeLimit(.minutes(3)),
    .enabled(if: mpirunPath != nil, "mpirun is not installed: distributed tests skipped"))
struct DistributedInferenceTests {
    static var mpirun: String? { mpirunPath }

    /// `lumis` with `arguments` in one process (`ranks == nil`) or under `mpirun -np ranks`.
    static func lumis(_ arguments: [String], ranks: Int? = nil) throws -> Executables.Outcome {
        let lumis = try Executables.lumis()
        // Not inherited from a test runner that itself runs under MPI.
        let environment = ["OPENBLAS_NUM_THREADS": "1", "LUMIS_MPI": ranks == nil ? "0" : "1"]
        guard let ranks else { return try Executables.run(lumis, arguments, environment: environment) }
        let launcher = [
            "--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)", "-x", "OPENBLAS_NUM_THREADS=1",
            "-x", "LUMIS_MPI=1", lumis,
        ]
        return try Executables.run(try #require(mpirun), launcher + arguments, environment: environment)
    }

    /// Runs the same `arguments` once in one process and once on `ranks` ranks, each writing `--out` to its own
    /// file, and expects both to succeed with byte-identical files; returns the single-process file.
    static func expectSameFile(_ arguments: [String], ranks: Int, label: String) throws -> PosteriorSummary {
        let directory = try Executables.temporaryDirectory("mpi-\(label)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let single = directory.appendingPathComponent("single.json").path
        let split = directory.appendingPathComponent("split.json").path
        let one = try lumis(arguments + ["--out", single, "--no-progress"])
        #expect(one.status == 0, "\(one.standardError)")
        let many = try lumis(arguments + ["--out", split, "--no-progress"], ranks: ranks)
        #expect(many.status == 0, "\(many.standardError)")
        #expect(many.standardError.contains("rank 0: wrote \(split)"), "\(many.standardError)")
        // Only rank 0 writes and reports.
        #expect(!many.standardError.contains("rank 1:"), "\(many.standardError)")
        let singleBytes = try Data(contentsOf: URL(fileURLWithPath: single))
        let splitBytes = try Data(contentsOf: URL(fileURLWithPath: split))
        #expect(splitBytes == singleBytes, "\(label): the \(ranks)-rank posterior differs from one process's")
        return try PosteriorSummary(contentsOfFile: single)
    }

    static func launch(_ simulator: String) throws -> String { "\(try Executables.simulator(simulator)) {endpoint}" }

    static let gumObservations = ["--observe", "obs0=8", "--observe", "obs1=9"]

    @Test("IS on gum: 2 ranks give the single-process posterior, draws CSV included")
    func importanceSampling() throws {
        let arguments =
            ["infer", "--launch", try Self.launch("gum"), "--traces", "2000", "--seed", "21"] + Self.gumObservations
        let summary = try Self.expectSameFile(arguments, ranks: 2, label: "is")
        #expect(summary.traceCount == 2000 && summary.metadata.seed == 21)
        #expect(summary.metadata.failedTraces == 0 && summary.metadata.restarts == 0)
        // The draws CSV, written by rank 0 from the merged traces, equals the single-process one too.
        let directory = try Executables.temporaryDirectory("mpi-csv")
        defer { try? FileManager.default.removeItem(at: directory) }
        let single = directory.appendingPathComponent("single.csv").path
        let split = directory.appendingPathComponent("split.csv").path
        #expect(try Self.lumis(arguments + ["--draws-csv", single, "--no-progress"]).status == 0)
        #expect(try Self.lumis(arguments + ["--draws-csv", split, "--no-progress"], ranks: 2).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: split)) == Data(contentsOf: URL(fileURLWithPath: single)))
    }

    @Test("An observation no rank's traces observe is listed once in the merged file, equal to one process's")
    func unusedObservations() throws {
        for engine in ["is", "lmh"] {
            let arguments =
                ["infer", "--launch", try Self.launch("gum"), "--engine", engine, "--traces", "100", "--seed", "8"]
                + Self.gumObservations + ["--observe", "typo=1"] + (engine == "lmh" ? ["--burn-in", "10"] : [])
            let summary = try Self.expectSameFile(arguments, ranks: 2, label: "unused-\(engine)")
            #expect(summary.metadata.unusedObservations == ["typo"], "\(engine)")
        }
    }

    @Test("Uneven splits: 3 ranks over 100 IS traces; 3 LMH chains on 2 ranks")
    func unevenSplits() throws {
        let traces = try Self.expectSameFile(
            ["infer", "--launch", try Self.launch("gum"), "--traces", "100", "--seed", "22"] + Self.gumObservations,
            ranks: 3, label: "odd-is")
        #expect(traces.traceCount == 100)
        let chains = try Self.expectSameFile(
            [
                "infer", "--launch", try Self.launch("gum"), "--engine", "lmh", "--chains", "3", "--burn-in", "20",
                "--traces", "150", "--seed", "23",
            ] + Self.gumObservations, ranks: 2, label: "odd-mcmc")
        #expect(chains.mcmc?.chains == 3 && chains.traceCount == 450)
    }

    @Test("Prior sampling on 2 ranks over an odd count equals one process")
    func prior() throws {
        let summary = try Self.expectSameFile(
            ["infer", "--launch", try Self.launch("gum"), "--engine", "prior", "--traces", "101", "--seed", "29"],
            ranks: 2, label: "prior")
        #expect(summary.traceCount == 101 && summary.weighting == .uniform)
    }

    @Test("Simulators that die on every rank are restarted per rank; restarts are summed, the posterior unchanged")
    func restartsPerRank() throws {
        // Every faulty process dies in its 50th trace, so a rank running n traces restarts ⌈n/49⌉ − 1 times:
        // 6 for 300 traces in one process, 3 + 3 on two ranks of 150.
        let arguments =
            [
                "infer", "--launch", "\(try Executables.simulator("faulty")) {endpoint} --die-at 50", "--traces", "300",
                "--seed", "30",
            ] + Self.gumObservations
        let summary = try Self.expectSameFile(arguments, ranks: 2, label: "restarts")
        #expect(summary.metadata.restarts == 6 && summary.metadata.failedTraces == 6)
        #expect(summary.traceCount == 300)
    }

    @Test("LMH with 4 chains on 2 ranks equals one process, and so does resuming it on 2 ranks")
    func mcmcAndResume() throws {
        let directory = try Executables.temporaryDirectory("mpi-mcmc")
        defer { try? FileManager.default.removeItem(at: directory) }
        let base =
            [
                "infer", "--launch", try Self.launch("gum"), "--engine", "lmh", "--chains", "4", "--burn-in", "20",
                "--traces", "100", "--seed", "24",
            ] + Self.gumObservations
        let summary = try Self.expectSameFile(base, ranks: 2, label: "lmh")
        let section = try #require(summary.mcmc)
        #expect(section.chains == 4 && summary.chains?.map(\.draws) == [100, 100, 100, 100] && section.isComplete)
        #expect(section.chainStates.allSatisfy { $0 != nil })
        #expect(summary.variables["mu"]?.diagnostics != nil)
        // Resume the run on 2 ranks and in one process from the same file.
        let first = directory.appendingPathComponent("first.json").path
        #expect(try Self.lumis(base + ["--out", first, "--no-progress"]).status == 0)
        let resumed = try Self.expectSameFile(
            ["infer", "--launch", try Self.launch("gum"), "--engine", "lmh", "--traces", "50", "--resume", first],
            ranks: 2, label: "resume")
        #expect(resumed.mcmc?.chainStates.compactMap { $0?.steps } == [170, 170, 170, 170])
    }

    @Test("IC: a small trained network, 2 ranks equal one process (prior fallbacks summed)")
    func compiled() throws {
        let directory = try Executables.temporaryDirectory("mpi-ic")
        defer { try? FileManager.default.removeItem(at: directory) }
        let network = directory.appendingPathComponent("gum.lumisnet").path
        let training = try Self.lumis([
            "train", "--launch", try Self.launch("gum"), "--batch-size", "32", "--lstm-hidden", "8",
            "--embedding-dim", "4", "--validation-traces", "32", "--seed", "25", "--traces", "256", "--no-progress",
            "--out", network,
        ])
        #expect(training.status == 0, "\(training.standardError)")
        let summary = try Self.expectSameFile(
            [
                "infer", "--engine", "ic", "--network", network, "--launch", try Self.launch("gum"), "--traces", "300",
                "--seed", "26",
            ] + Self.gumObservations, ranks: 2, label: "ic")
        #expect(summary.ic?.controlledDraws == 300 && summary.ic?.priorFallbacks == [:])
        // On another model every draw falls back to the prior; the counts over both ranks match one process's.
        let other = try Self.expectSameFile(
            [
                "infer", "--engine", "ic", "--network", network, "--launch", try Self.launch("gum_marsaglia"),
                "--traces", "101", "--seed", "27",
            ] + Self.gumObservations, ranks: 2, label: "ic-fallback")
        let ic = try #require(other.ic)
        #expect(ic.controlledDraws > 101 && ic.priorFallbacks.values.reduce(0, +) == ic.controlledDraws)
    }

    /// The lines of `text` that carry an error from Lumis (mpirun adds its own banner after an abort).
    static func errorLines(_ text: String) -> [Substring] {
        text.split(separator: "\n").filter { $0.contains("Error: ") }
    }

    @Test("A rank whose simulator cannot start ends the launch: non-zero exit, one error line, no file")
    func failingRank() throws {
        let directory = try Executables.temporaryDirectory("mpi-fail")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("p.json").path
        // Rank 1's simulator command exits at once; rank 0's runs normally.
        let command =
            "sh -c 'if [ \"$OMPI_COMM_WORLD_RANK\" = 1 ]; then exit 3; fi; exec \(try Executables.simulator("gum")) "
            + "{endpoint}'"
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = try Self.lumis(
            ["infer", "--launch", command, "--traces", "2000", "--seed", "28", "--out", out, "--no-progress"]
                + Self.gumObservations, ranks: 2)
        #expect(clock.now - start < .seconds(60))
        #expect(outcome.status != 0)
        let errors = Self.errorLines(outcome.standardError)
        #expect(errors.count == 1, "\(outcome.standardError)")
        #expect(errors.first?.hasPrefix("rank 1: Error: ") == true, "\(outcome.standardError)")
        #expect(errors.first?.contains("exited with status 3") == true, "\(outcome.standardError)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("An unwritable --out is found by rank 0 before any simulator starts and ends all ranks")
    func unwritableOutput() throws {
        let outcome = try Self.lumis(
            ["infer", "--launch", try Self.launch("gum"), "--traces", "100", "--out", "/nonexistent-lumis/p.json"]
                + Self.gumObservations, ranks: 2)
        #expect(outcome.status != 0)
        let errors = Self.errorLines(outcome.standardError)
        #expect(errors.count == 1, "\(outcome.standardError)")
        #expect(errors.first?.hasPrefix("rank 0: Error: ") == true, "\(outcome.standardError)")
        #expect(errors.first?.contains("/nonexistent-lumis/p.json") == true)
    }
}
