import Foundation
import LumisCompilation
import LumisNeural
import LumisTestSupport
import Testing

/// `mpirun -np 2 lumis train` against one-process `lumis train` on the same data (issue 5 part 3).
///
/// Tolerance. Both runs see the same traces in the same minibatches; only the order of floating-point sums
/// differs (the ranks' half-batch gradients are added by the allreduce instead of accumulated in one pass), so the
/// gradients differ by `δg ≲ n·u·G` (`n` = 16 terms, `u` = 1.1e-16, `G` the largest per-trace term, ≲ 1 here).
/// Adam's step `lr·m̂/(√v̂ + ε)` changes by at most `lr·δg/ε` (its derivative in `g` is at most `lr/ε`,
/// reached where `|g| ≈ ε`), i.e. ≤ 1e-3 · 1.8e-15 / 1e-8 ≈ 1.8e-10 per step and parameter; over the runs'
/// at most 36 steps, allowing a factor 10 for differences fed back through later gradients, ≤ 7e-8. We compare
/// with `tolerance` = 1e-7 absolute; the observed maximum is printed (it is far smaller: ~1e-15). The derivation
/// is for float64, so every run here trains in float64 (`--precision float64`; the default float32 has
/// u = 6e-8, for which the same bound would be about 1e-9 · 1e8 = 0.1, too loose to show the runs equal).
@Suite(.enabled(if: MPILauncher.path != nil, "mpirun is not installed (apt-get install openmpi-bin)"))
struct DistributedTrainingTests {
    static var mpirun: String? { MPILauncher.path }

    static let tolerance = 1e-7

    /// The options every run shares: a small network on the branching model (several addresses, so head
    /// agreement is exercised), global minibatch 16.
    static func options(traces: Int, out: String, resume: String? = nil) throws -> [String] {
        let simulator = try Executables.simulator("branching")
        var options = [
            "train", "--launch", "\(simulator) {endpoint}", "--workers", "1", "--traces", "\(traces)",
            "--batch-size", "16", "--out", out, "--checkpoint-every", "0.005", "--validate-every", "64",
        ]
        if let resume {
            options += ["--resume", resume]
        } else {
            options += [
                "--seed", "42", "--lstm-hidden", "8", "--embedding-dim", "8", "--address-embedding", "4",
                "--validation-traces", "24", "--learning-rate", "1e-3", "--precision", "float64",
            ]
        }
        return options
    }

    /// Runs `lumis` with `arguments` on `ranks` ranks (1: without mpirun).
    static func lumis(_ arguments: [String], ranks: Int) throws -> Executables.Outcome {
        let lumis = try Executables.lumis()
        let outcome =
            if ranks == 1 {
                try Executables.run(lumis, arguments, environment: ["OPENBLAS_NUM_THREADS": "1"])
            } else {
                try Executables.run(
                    mpirun!,
                    [
                        "--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)", "-x", "OPENBLAS_NUM_THREADS=1",
                        lumis,
                    ]
                        + arguments)
            }
        #expect(outcome.status == 0, "lumis on \(ranks) ranks failed: \(outcome.standardError)")
        if ranks > 1 { #expect(outcome.standardError.contains("parameters identical on \(ranks) ranks")) }
        return outcome
    }

    /// The largest absolute parameter difference, after checking that the networks have the same layout and
    /// the runs the same global state.
    static func compare(_ a: Trainer, _ b: Trainer) -> Double {
        #expect(a.network.addresses == b.network.addresses)
        #expect(a.state.traces == b.state.traces)
        #expect(a.state.iterations == b.state.iterations)
        #expect(a.state.skippedBatches == b.state.skippedBatches)
        #expect(a.state.rejectedTraces == b.state.rejectedTraces)
        #expect(a.optimizer.step == b.optimizer.step)
        if let x = a.state.validationLoss, let y = b.state.validationLoss {
            #expect(abs(x - y) <= tolerance * max(1, abs(x)))
        } else {
            Issue.record("both runs must have validated")
        }
        // The loss history is over all ranks' traces and examples: the same points, losses equal to the sums'
        // rounding (issue 15 part 5: rank 0's file holds the totals).
        #expect(a.state.history.map(\.traces) == b.state.history.map(\.traces) && !a.state.history.isEmpty)
        for (p, q) in zip(a.state.history, b.state.history) {
            for (x, y) in [(p.loss, q.loss), (p.validationLoss, q.validationLoss)] {
                guard let x, let y else {
                    Issue.record("a loss is missing at \(p.traces) traces: \(p) \(q)")
                    continue
                }
                #expect(abs(x - y) <= tolerance * max(1, abs(x)), "\(p) \(q)")
            }
        }
        #expect(a.network.signature == b.network.signature && a.network.signature.model == "Branching")
        let x = a.network.store.values, y = b.network.store.values
        guard x.count == y.count else {
            Issue.record("parameter counts differ: \(x.count) and \(y.count)")
            return .infinity
        }
        return zip(x, y).map { abs($0 - $1) }.max() ?? 0
    }

    @Test("Two ranks train the same network as one process with the whole minibatch")
    func twoRanksEqualOneProcess() throws {
        let directory = try Executables.temporaryDirectory("mpi-equivalence")
        defer { try? FileManager.default.removeItem(at: directory) }
        let single = directory.appendingPathComponent("single.lumisnet").path
        let double = directory.appendingPathComponent("double.lumisnet").path
        // 12 full minibatches and a short one (5 traces: 3 + 2 over the ranks).
        _ = try Self.lumis(try Self.options(traces: 197, out: single), ranks: 1)
        _ = try Self.lumis(try Self.options(traces: 197, out: double), ranks: 2)
        let difference = Self.compare(try NetworkFile.read(from: single), try NetworkFile.read(from: double))
        print("max parameter difference, 1 vs 2 ranks: \(difference)")
        #expect(difference <= Self.tolerance)
    }

    @Test("Training on a dataset (epochs over it) on two ranks equals one process")
    func datasetOnTwoRanks() throws {
        let directory = try Executables.temporaryDirectory("mpi-dataset")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        let simulator = try Executables.simulator("branching")
        let written = try Executables.run(
            try Executables.lumis(),
            [
                "dataset", "--launch", "\(simulator) {endpoint}", "--traces", "300", "--shard-traces", "64",
                "--seed", "3", "--out", path("data"),
            ])
        #expect(written.status == 0, "lumis dataset failed: \(written.standardError)")
        // By default observe likelihoods are left out: training reads only observed values and priors.
        let manifest = try String(contentsOfFile: path("data") + "/manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"likelihoods\" : false"), "\(manifest)")
        // 276 training traces, 24 validation; 400 traces is more than one epoch.
        let options = { (out: String) in
            [
                "train", "--dataset", path("data"), "--traces", "400", "--batch-size", "16", "--out", path(out),
                "--seed", "42", "--lstm-hidden", "8", "--embedding-dim", "8", "--address-embedding", "4",
                "--validation-traces", "24", "--validate-every", "64", "--checkpoint-every", "0.005",
                "--precision", "float64",
            ]
        }
        _ = try Self.lumis(options("one"), ranks: 1)
        _ = try Self.lumis(options("two"), ranks: 2)
        let one = try NetworkFile.read(from: path("one"))
        let difference = Self.compare(one, try NetworkFile.read(from: path("two")))
        print("max parameter difference, dataset 1 vs 2 ranks: \(difference)")
        #expect(difference <= Self.tolerance)
        #expect(one.state.traces == 400)
    }

    @Test("A run resumed with another rank count continues as one uninterrupted run")
    func resumeWithAnotherRankCount() throws {
        let directory = try Executables.temporaryDirectory("mpi-resume")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        _ = try Self.lumis(try Self.options(traces: 192, out: path("straight")), ranks: 1)
        _ = try Self.lumis(try Self.options(traces: 64, out: path("a")), ranks: 2)
        _ = try Self.lumis(try Self.options(traces: 64, out: path("b"), resume: path("a")), ranks: 1)
        _ = try Self.lumis(try Self.options(traces: 64, out: path("c"), resume: path("b")), ranks: 2)
        let difference = Self.compare(
            try NetworkFile.read(from: path("straight")), try NetworkFile.read(from: path("c")))
        print("max parameter difference, straight vs 2 → 1 → 2 ranks: \(difference)")
        #expect(difference <= Self.tolerance)
    }

    @Test("SIGTERM to mpirun: the ranks stop after the same step, rank 0 checkpoints it, and the run resumes exactly")
    func sigtermCheckpointsOnEveryRank() throws {
        let directory = try Executables.temporaryDirectory("mpi-sigterm")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        // No periodic checkpoint (--checkpoint-every 3600): a file after the signal is the signal's checkpoint.
        // No validation set (the signal lands in the training loop, and the loss history's points do not depend
        // on where the run stopped).
        let until = { (total: Int, resume: String?, out: String) in
            try Self.options(traces: 0, out: out, resume: resume).map {
                $0 == "--traces" ? "--until-traces" : $0 == "0" ? "\(total)" : $0 == "24" ? "0" : $0
            }
        }
        let arguments = try until(1_000_000, nil, path("net")).map { $0 == "0.005" ? "3600" : $0 }
        let errorPath = path("stderr.txt")
        let pid = try EndToEndTests.spawn(
            Self.mpirun!,
            [
                "--allow-run-as-root", "--oversubscribe", "-np", "2", "-x", "OPENBLAS_NUM_THREADS=1",
                try Executables.lumis(),
            ] + arguments + ["--progress-every", "0.1"], errorPath: errorPath, clearsSignalMask: true)
        // Training has started once rank 0 prints a progress line with traces done.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while clock.now < deadline {
            let text = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
            // A line "…  N/1000000 traces …" with N > 0: a step is done.
            let done = text.split(separator: "\n").compactMap { line in
                line.split(separator: " ").first { $0.hasSuffix("/1000000") }.flatMap { Int($0.dropLast(8)) }
            }
            if done.contains(where: { $0 > 0 }) { break }
            usleep(50_000)
        }
        #expect(!FileManager.default.fileExists(atPath: path("net")))
        kill(pid, SIGTERM)
        let status = EndToEndTests.wait(for: pid, limit: .seconds(60))
        if status == nil { kill(pid, SIGKILL) }
        #expect(status != nil && status != 0, "\((try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")")
        let stopped = try NetworkFile.read(from: path("net"))
        let traces = stopped.state.traces
        #expect(traces > 0 && traces % 16 == 0 && traces < 1_000_000, "checkpoint after \(traces) traces")
        // Continuing from it to 32 more traces equals one uninterrupted run of the same total.
        _ = try Self.lumis(try until(traces + 32, nil, path("straight")), ranks: 1)
        _ = try Self.lumis(try until(traces + 32, path("net"), path("net")), ranks: 2)
        let (a, b) = (try NetworkFile.read(from: path("straight")), try NetworkFile.read(from: path("net")))
        #expect(a.state.traces == b.state.traces && a.state.iterations == b.state.iterations)
        #expect(a.optimizer.step == b.optimizer.step && a.network.addresses == b.network.addresses)
        let (x, y) = (a.network.store.values, b.network.store.values)
        try #require(x.count == y.count)
        let difference = zip(x, y).map { abs($0 - $1) }.max() ?? 0
        print("max parameter difference, straight vs SIGTERMed on 2 ranks and resumed: \(difference)")
        #expect(difference <= Self.tolerance)
    }

    @Test("A resubmitted job with --until-traces trains up to the total from its checkpoint, then stops")
    func resubmittedJobReachesItsTotal() throws {
        let directory = try Executables.temporaryDirectory("mpi-until")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        let until = { (total: Int, resume: String?) in
            try Self.options(traces: 0, out: path("net"), resume: resume).map {
                $0 == "--traces" ? "--until-traces" : $0 == "0" ? "\(total)" : $0
            }
        }
        _ = try Self.lumis(try Self.options(traces: 128, out: path("straight")), ranks: 1)
        // The first job stops after 64 traces (as a time limit would); its resubmissions resume the same file.
        _ = try Self.lumis(try until(64, nil), ranks: 2)
        _ = try Self.lumis(try until(128, path("net")), ranks: 1)
        let done = try Self.lumis(try until(128, path("net")), ranks: 2)
        #expect(done.standardError.contains("nothing to train"))
        let difference = Self.compare(
            try NetworkFile.read(from: path("straight")), try NetworkFile.read(from: path("net")))
        print("max parameter difference, straight vs --until-traces 64 then 128: \(difference)")
        #expect(difference <= Self.tolerance)

        let both = try Executables.run(
            try Executables.lumis(), try Self.options(traces: 16, out: path("x")) + ["--until-traces", "32"])
        #expect(both.status == 64)
        #expect(both.standardError.contains("not both"))
    }
}

/// Where `mpirun` is, if on the PATH.
enum MPILauncher {
    static let path: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/mpirun" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }()
}
