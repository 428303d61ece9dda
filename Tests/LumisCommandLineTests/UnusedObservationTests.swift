import Foundation
import LumisInference
import LumisTestSupport
import Testing

/// Issue 14: an `--observe` name the simulator never observes (here `typo`, beside GUM's `obs0` and `obs1`), through
/// the built `lumis` and the real GUM simulator: a warning naming it after the first trace, the posterior file
/// (and the NetCDF file) listing it, and `--strict-observations` refusing it with one line and no file.
@Suite("lumis infer unused observations", .serialized, .timeLimit(.minutes(3)))
struct UnusedObservationTests {
    static let observations = GUMRuns.observations
    static let warning =
        "warning: the simulator's first trace did not observe 'typo': this observation has no effect unless a later "
        + "trace observes it (a misspelt name?)"

    static func lumis(_ arguments: [String]) throws -> Executables.Outcome {
        try Executables.run(Executables.lumis(), arguments, environment: ["OPENBLAS_NUM_THREADS": "1"])
    }

    @Test("Every engine warns once, naming it, and lists it in the posterior file; the NetCDF file has it too")
    func everyEngine() throws {
        let directory = try Executables.temporaryDirectory("unused-observations")
        defer { try? FileManager.default.removeItem(at: directory) }
        let launch = try GUMRuns.launch()
        let network = directory.appendingPathComponent("gum.lumisnet").path
        try GUMRuns.trainNetwork(to: network)
        for (engine, arguments) in GUMRuns.engines(network: network) {
            let base = ["infer", "--launch", launch, "--traces", "60", "--seed", "4", "--no-progress"] + arguments
            let path = directory.appendingPathComponent("\(engine).json").path
            let netCDF = directory.appendingPathComponent("\(engine).nc").path
            let outcome = try Self.lumis(
                base + Self.observations + ["--observe", "typo=1", "--out", path, "--netcdf", netCDF])
            try #require(outcome.status == 0, "\(engine): \(outcome.standardError)")
            let lines = outcome.standardError.split(separator: "\n")
            #expect(lines.filter { $0 == Self.warning }.count == 1, "\(engine): \(outcome.standardError)")
            #expect(lines.first == Substring(Self.warning), "\(engine): the warning comes before the results")
            let summary = try PosteriorSummary(contentsOfFile: path)
            #expect(summary.metadata.unusedObservations == ["typo"], "\(engine)")
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
            #expect(json["unused_observations"] as? [String] == ["typo"], "\(engine)")
            let attribute = try Executables.run(
                "/usr/bin/env",
                [
                    "python3", "-c", "import netCDF4, sys; print(netCDF4.Dataset(sys.argv[1]).unused_observations)",
                    netCDF,
                ])
            #expect(attribute.status == 0, "\(attribute.standardError)")
            #expect(attribute.standardOutput == "typo\n", "\(engine): \(attribute.standardError)")

            // With only the observations GUM makes: no warning and no unused_observations key.
            let cleanPath = directory.appendingPathComponent("\(engine)-clean.json").path
            let clean = try Self.lumis(base + Self.observations + ["--out", cleanPath])
            try #require(clean.status == 0, "\(engine): \(clean.standardError)")
            #expect(!clean.standardError.contains("warning"), "\(engine): \(clean.standardError)")
            let cleanText = try String(contentsOfFile: cleanPath, encoding: .utf8)
            #expect(!cleanText.contains("unused_observations"), "\(engine)")
        }
    }

    @Test("--strict-observations makes it an error: one line, exit 64, no output file", arguments: ["is", "rmh"])
    func strict(engine: String) throws {
        let directory = try Executables.temporaryDirectory("strict-observations")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("p.json").path
        let csv = directory.appendingPathComponent("d.csv").path
        let outcome = try Self.lumis(
            [
                "infer", "--launch", "\(try Executables.simulator("gum")) {endpoint}", "--engine", engine,
                "--traces", "60", "--seed", "4", "--strict-observations", "--no-progress", "--out", path, "--draws-csv",
                csv,
            ] + Self.observations + ["--observe", "typo=1"])
        #expect(outcome.status == 64, "\(outcome.standardError)")
        #expect(outcome.standardOutput.isEmpty)
        let lines = outcome.standardError.split(separator: "\n")
        #expect(lines.count == 1, "\(outcome.standardError)")
        #expect(lines.first?.hasPrefix("Error: the simulator's first trace did not observe 'typo'") == true)
        #expect(outcome.standardError.contains("--strict-observations refuses it"))
        #expect(!FileManager.default.fileExists(atPath: path) && !FileManager.default.fileExists(atPath: csv))
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(files.isEmpty, "left behind: \(files)")
    }
}
