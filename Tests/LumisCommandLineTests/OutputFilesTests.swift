import Foundation
import LumisInference
import LumisTestSupport
import Testing

/// Every engine writes `--out`, `--draws-csv` and `--netcdf`, and ArviZ reads the NetCDF file right: its mean
/// of each variable agrees with Lumis's own within 4 sd/√ESS (importance sampling's `posterior` group is an
/// equally weighted resample, so ArviZ need not know about weights).
@Suite("lumis infer output files", .serialized, .timeLimit(.minutes(5)))
struct OutputFilesTests {
    static let observations = ["--observe", "obs0=8", "--observe", "obs1=9"]

    static func lumis(_ arguments: [String]) throws -> Executables.Outcome {
        try Executables.run(try Executables.lumis(), arguments)
    }

    /// Runs `arguments` with all three outputs in `directory`, checks the files, and compares ArviZ's mean of
    /// `mu` with the posterior file's within 4 sd/√ESS, with ESS the file's own (importance sampling) or
    /// ArviZ-style bulk ESS (MCMC).
    static func checkOutputs(_ arguments: [String], label: String, directory: URL) throws {
        let json = directory.appendingPathComponent("\(label).json").path
        let csv = directory.appendingPathComponent("\(label).csv").path
        let netCDF = directory.appendingPathComponent("\(label).nc").path
        let outcome = try lumis(
            arguments + ["--out", json, "--draws-csv", csv, "--netcdf", netCDF, "--no-progress"] + observations)
        try #require(outcome.status == 0, "\(label): \(outcome.standardError)")
        for path in [json, csv, netCDF] {
            #expect(outcome.standardError.contains("wrote \(path)"), "\(label): \(outcome.standardError)")
        }
        let summary = try PosteriorSummary(contentsOfFile: json)
        let mu = try #require(summary.variables["mu"])
        let header = try #require(try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").first)
        #expect(header.hasPrefix("chain,draw,weight,log_weight,"))

        let python = ProcessInfo.processInfo.environment["LUMIS_PYTHON"] ?? "python3"
        let script = Executables.repositoryRoot.appendingPathComponent("scripts/arviz-summary.py").path
        let result = try Executables.run("/usr/bin/env", [python, script, netCDF])
        try #require(result.status == 0, "arviz on \(label): \(result.standardError)")
        let arviz = try #require(
            try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        let statistics = try #require((arviz["summary"] as? [String: [String: Double]])?["mu"])
        let mean = try #require(statistics["mean"])
        let ess = try #require(mu.diagnostics?.essBulk.first ?? summary.effectiveSampleSize)
        let bound = 4 * mu.stddev[0] / ess.squareRoot()
        #expect(abs(mean - mu.mean[0]) <= bound, "\(label): ArviZ mean \(mean), Lumis \(mu.mean[0]), bound \(bound)")
        let attributes = try #require(arviz["attributes"] as? [String: String])
        #expect(attributes["engine"] == label && attributes["model"] == summary.metadata.model)
        #expect(attributes["seed"] == summary.metadata.seed.map(String.init))
        #expect(attributes["traces"] == String(summary.traceCount))
        #expect(attributes["inference_library_version"] == LumisVersion.current && attributes["created_at"] != nil)
        let groups = try #require(arviz["groups"] as? [String])
        if summary.weighting == .importance {
            #expect(groups.contains("weighted_posterior") && groups.contains("weighted_sample_stats"))
            #expect(arviz["draws"] as? Int == summary.traceCount)
            #expect(attributes["effective_sample_size"].flatMap(Double.init) != nil)
        } else {
            #expect(!groups.contains("weighted_posterior"))
        }
    }

    @Test("is, rmh and ic write all three files, and ArviZ's means agree with Lumis's")
    func everyEngine() throws {
        let directory = try Executables.temporaryDirectory("outputs")
        defer { try? FileManager.default.removeItem(at: directory) }
        let launch = "\(try Executables.simulator("gum")) {endpoint}"
        try Self.checkOutputs(
            ["infer", "--launch", launch, "--traces", "4000", "--seed", "71"], label: "is", directory: directory)
        try Self.checkOutputs(
            [
                "infer", "--engine", "rmh", "--launch", launch, "--chains", "2", "--burn-in", "200", "--traces", "1000",
                "--seed", "72",
            ], label: "rmh", directory: directory)
        let network = directory.appendingPathComponent("gum.lumisnet").path
        let training = try Self.lumis([
            "train", "--launch", launch, "--batch-size", "32", "--lstm-hidden", "8", "--embedding-dim", "4",
            "--validation-traces", "32", "--seed", "73", "--traces", "512", "--no-progress", "--out", network,
        ])
        try #require(training.status == 0, "\(training.standardError)")
        try Self.checkOutputs(
            ["infer", "--engine", "ic", "--network", network, "--launch", launch, "--traces", "1000", "--seed", "74"],
            label: "ic", directory: directory)
    }

    @Test("Bad output paths are refused with one line before any simulator starts, and nothing is written")
    func refusedBeforeTheRun() throws {
        let directory = try Executables.temporaryDirectory("outputs-refused")
        defer { try? FileManager.default.removeItem(at: directory) }
        let marker = directory.appendingPathComponent("started").path
        // The simulator command leaves a marker if it ever starts.
        let launch = "sh -c 'touch \(marker); exec \(try Executables.simulator("gum")) {endpoint}'"
        let target = directory.appendingPathComponent("target.json").path
        _ = FileManager.default.createFile(atPath: target, contents: Data("{}".utf8))
        let link = directory.appendingPathComponent("link.json").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let same = directory.appendingPathComponent("p.json").path
        let cases: [(String, [String], [String])] = [
            ("same path", ["--out", same, "--draws-csv", same], ["--out", "--draws-csv", "same file"]),
            ("directory", ["--netcdf", directory.path], ["--netcdf", "is a directory"]),
            ("symlink", ["--out", link], ["--out", "symbolic link"]),
            ("device", ["--draws-csv", "/dev/null"], ["/dev/null", "not a regular file"]),
        ]
        for engine in ["is", "rmh", "ic"] {
            let engineArguments = engine == "ic" ? ["--engine", "ic", "--network", target] : ["--engine", engine]
            for (label, outputs, mentions) in cases {
                let outcome = try Self.lumis(
                    ["infer", "--launch", launch, "--traces", "10", "--no-progress"] + engineArguments + outputs
                        + Self.observations)
                #expect(outcome.status == 1, "\(engine) \(label): \(outcome.standardError)")
                let lines = outcome.standardError.split(separator: "\n")
                #expect(lines.count == 1, "\(engine) \(label): \(outcome.standardError)")
                for mention in mentions {
                    #expect(outcome.standardError.contains(mention), "\(engine) \(label): \(outcome.standardError)")
                }
            }
        }
        #expect(!FileManager.default.fileExists(atPath: marker), "a simulator started")
        #expect(!FileManager.default.fileExists(atPath: same))
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "{}")
    }
}
