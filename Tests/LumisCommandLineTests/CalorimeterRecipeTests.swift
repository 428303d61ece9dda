import Foundation
import LumisTestSupport
import Testing

/// The calorimeter training recipe and its acceptance check run as written (issue 15 part 3), at tiny sizes.
///
/// examples/calorimeter/recipe.sh trains on 2 MPI ranks and resumes, then benchmarks/calorimeter-ic.sh compares
/// IC posteriors of two reference events with the committed reference posteriors and calibrates over a few prior
/// events. The acceptance itself (8 of 10 events, 200 calibration events) is a long run recorded in
/// docs/calorimeter.md; here every number the script reports is recomputed from the files it read.
@Suite(.enabled(if: MPILauncher.path != nil, "mpirun is not installed (apt-get install openmpi-bin)"))
struct CalorimeterRecipeTests {
    static let root = Executables.repositoryRoot
    static let reference = root.appendingPathComponent("Tests/Fixtures/calorimeter-reference/reference.json")

    static func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    static func double(_ value: Any?) throws -> Double { try #require((value as? NSNumber)?.doubleValue) }

    @Test("recipe.sh trains and resumes on 2 ranks; calorimeter-ic.sh reports TV, mean bounds and coverage right")
    func recipeAndAcceptance() throws {
        let directory = try Executables.temporaryDirectory("calorimeter-recipe")
        defer { try? FileManager.default.removeItem(at: directory) }
        let lumis = try Executables.lumis()
        let recipe = Self.root.appendingPathComponent("examples/calorimeter/recipe.sh").path
        let sizes = [
            "RANKS": "2", "TRAIN": "128", "BATCH": "32", "LSTM": "16", "EMBEDDING": "calo:ff:8", "VALIDATION": "32",
            "LUMIS": lumis,
        ]
        let work = directory.appendingPathComponent("recipe")
        let training = try Executables.run("/bin/bash", [recipe, work.path], environment: sizes)
        #expect(training.status == 0, "recipe.sh failed: \(training.standardError)")
        #expect(training.standardError.contains("parameters identical on 2 ranks"))
        #expect(training.standardOutput.contains("traces seen   128"))
        // A rerun resumes the checkpoint: up to 192 traces in all.
        var more = sizes
        more["TRAIN"] = "192"
        let resumed = try Executables.run("/bin/bash", [recipe, work.path], environment: more)
        #expect(resumed.status == 0, "recipe.sh (resume) failed: \(resumed.standardError)")
        #expect(resumed.standardOutput.contains("traces seen   192"))
        let network = work.appendingPathComponent("calorimeter.lumisnet").path

        let script = Self.root.appendingPathComponent("benchmarks/calorimeter-ic.sh").path
        let out = directory.appendingPathComponent("acceptance")
        let seeds = [2, 5]
        let acceptance = try Executables.run(
            "/bin/bash",
            [
                script, "--no-build", "--network", network, "--events", seeds.map(String.init).joined(separator: " "),
                "--traces", "100", "--calibration-events", "6", "--calibration-traces", "40", "--out", out.path,
            ], environment: ["LUMIS": lumis])
        #expect(acceptance.status == 0, "calorimeter-ic.sh failed: \(acceptance.standardError)")

        // Recompute every criterion from the reference fixture and the posterior files.
        let summary = try Self.json(out.appendingPathComponent("acceptance.json"))
        let rows = try #require(summary["events"] as? [[String: Any]])
        let referenceEvents = try #require(try Self.json(Self.reference)["events"] as? [[String: Any]])
        #expect(rows.count == seeds.count)
        var passed = 0
        for (row, seed) in zip(rows, seeds) {
            let reference = try #require(referenceEvents.first { ($0["seed"] as? NSNumber)?.intValue == seed })
            let posterior = try Self.json(out.appendingPathComponent(String(format: "event-%02d/posterior.json", seed)))
            let ic = try #require((posterior["result"] as? [String: Any])?["mean"] as? [NSNumber]).map(\.doubleValue)
            let exact = try #require(reference["channel_probabilities"] as? [NSNumber]).map(\.doubleValue)
            #expect(ic.count == 29 && exact.count == 29)
            let tv = 0.5 * zip(ic, exact).map { abs($0 - $1) }.reduce(0, +)
            #expect(abs(try Self.double(row["tv"]) - tv) < 1e-12, "event \(seed)")
            let ess = try Self.double(posterior["ess"])
            var eventPasses = tv <= 0.15
            for name in ["px", "py", "pz"] {
                let stats = try #require((posterior["variables"] as? [String: Any])?[name] as? [String: Any])
                let exactStats = try #require((reference["diagnostics"] as? [String: Any])?[name] as? [String: Any])
                let (mean, sd) = (try Self.double(stats["mean"]), try Self.double(stats["stddev"]))
                let (exactMean, exactSD) = (try Self.double(exactStats["mean"]), try Self.double(exactStats["sd"]))
                let mcse = try Self.double(exactStats["mcse_mean"])
                let bound = max(4 * (sd * sd / ess + mcse * mcse).squareRoot(), 0.1 * exactSD)
                let reported = try #require(row[name] as? [String: Any])
                #expect(abs(try Self.double(reported["bound"]) - bound) < 1e-12, "event \(seed) \(name)")
                #expect(abs(try Self.double(reported["difference"]) - (mean - exactMean)) < 1e-12)
                #expect((reported["ok"] as? Bool) == (abs(mean - exactMean) <= bound), "event \(seed) \(name)")
                eventPasses = eventPasses && abs(mean - exactMean) <= bound
            }
            #expect((row["pass"] as? Bool) == eventPasses, "event \(seed)")
            passed += eventPasses ? 1 : 0
        }
        #expect(acceptance.standardOutput.contains("\(passed) of 2 events pass (needed 2)"))

        let calibration = try Self.json(out.appendingPathComponent("calibration.json"))
        #expect((calibration["events"] as? NSNumber)?.intValue == 6)
        let reported = try #require(summary["calibration"] as? [String: Any])
        var within = true
        for name in ["px", "py", "pz"] {
            let variable = try #require((calibration["variables"] as? [String: Any])?[name] as? [String: Any])
            let coverage = try Self.double((variable["coverage"] as? [String: Any])?["0.9"])
            let band = try #require((variable["coverage_band"] as? [String: Any])?["0.9"] as? [NSNumber])
            let inside = band[0].doubleValue <= coverage && coverage <= band[1].doubleValue
            let line = try #require((reported["variables"] as? [String: Any])?[name] as? [String: Any])
            #expect(try Self.double(line["coverage"]) == coverage && (line["inside"] as? Bool) == inside)
            within = within && inside
        }
        #expect((reported["within"] as? Bool) == within)
        #expect(acceptance.standardOutput.contains("px, py, pz 90% coverage \(within ? "within" : "NOT within")"))
    }

    @Test("calorimeter-train.sbatch trains online on 2 ranks and, resubmitted, has nothing left to train")
    func slurmScript() throws {
        let directory = try Executables.temporaryDirectory("calorimeter-sbatch")
        defer { try? FileManager.default.removeItem(at: directory) }
        try ExamplesTests.writeSrunStandIn(in: directory)
        let environment = [
            "PATH": directory.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "SLURM_NTASKS": "2", "SCRATCH": directory.path, "LUMIS": try Executables.lumis(),
            "CALORIMETER": try Executables.simulator("calorimeter"), "GRID": "4x6x6", "EMBEDDING": "calo:ff:8",
            "TRACES": "64", "BATCH": "32", "VALIDATION": "32",
        ]
        let script = Self.root.appendingPathComponent("examples/slurm/calorimeter-train.sbatch").path
        let first = try Executables.run("/bin/bash", [script], environment: environment)
        #expect(first.status == 0, "calorimeter-train.sbatch failed: \(first.standardError)")
        #expect(first.standardError.contains("parameters identical on 2 ranks"))
        #expect(first.standardOutput.contains("traces seen   64"))
        let again = try Executables.run("/bin/bash", [script], environment: environment)
        #expect(again.status == 0 && again.standardError.contains("nothing to train"), "\(again.standardError)")
    }

    @Test("calorimeter-ic.sh refuses a missing network and an event the reference does not have, in one line")
    func acceptanceErrors() throws {
        let script = Self.root.appendingPathComponent("benchmarks/calorimeter-ic.sh").path
        let environment = ["LUMIS": try Executables.lumis()]
        let missing = try Executables.run("/bin/bash", [script, "--no-build"], environment: environment)
        #expect(missing.status == 64 && missing.standardError.hasPrefix("--network is required"))

        let directory = try Executables.temporaryDirectory("calorimeter-ic-errors")
        defer { try? FileManager.default.removeItem(at: directory) }
        let network = directory.appendingPathComponent("net.lumisnet")
        try Data("not a network".utf8).write(to: network)
        let unknown = try Executables.run(
            "/bin/bash",
            [script, "--no-build", "--network", network.path, "--events", "11", "--out", directory.path],
            environment: environment)
        #expect(unknown.status != 0)
        #expect(unknown.standardError.contains("no event with seed 11"), "\(unknown.standardError)")
    }
}
