import Foundation
import LumisCompilation
import LumisInference
import LumisTestSupport
import Testing

/// What a cluster user meets at the edges, through the built `lumis`: bad counts, runs too big for memory,
/// repeated observation keys, SIGTERM, preempted training, and the read-side commands (summary, diagnose,
/// dataset-info, --help).
@Suite("lumis operations", .serialized, .timeLimit(.minutes(3)))
struct OperationsTests {
    static func lumis(_ arguments: [String]) throws -> Executables.Outcome {
        try Executables.run(Executables.lumis(), arguments, environment: ["OPENBLAS_NUM_THREADS": "1"])
    }

    /// Checks the one-line error contract: status, nothing on stdout, one `Error:` line mentioning each text.
    static func expectOneLine(_ outcome: Executables.Outcome, status: Int32, mentions: [String]) {
        #expect(outcome.status == status, "\(outcome.standardError)")
        #expect(outcome.standardOutput.isEmpty)
        let lines = outcome.standardError.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.hasPrefix("Error: ") == true, "\(outcome.standardError)")
        for text in mentions { #expect(outcome.standardError.contains(text), "\(outcome.standardError)") }
    }

    static let gum = "gum {endpoint}"

    /// Writes pyprob's HMM observations obs0...obs15 to a file in `directory` and returns its path.
    static func hmmObservations(in directory: URL) throws -> String {
        let values = [0.9, 0.8, 0.7, 0.0, -0.025, -5.0, -2.0, -0.1, 0.0, 0.13, 0.45, 6, 0.2, 0.3, -1, -1]
        let path = directory.appendingPathComponent("hmm-observations.json").path
        let members = values.enumerated().map { "\"obs\($0.offset)\": \($0.element)" }
        try ("{" + members.joined(separator: ", ") + "}").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(
        "A negative or zero count says it must be a positive integer and names the option",
        arguments: [
            (["infer", "--launch", gum, "--traces", "-5"], "--traces"),
            (["infer", "--launch", gum, "--workers", "0"], "--workers"),
            (["infer", "--launch", gum, "--engine", "rmh", "--chains", "-2"], "--chains"),
            (["infer", "--launch", gum, "--traces", "12.5"], "--traces"),
            (["train", "--launch", gum, "--traces", "-5", "--out", "/tmp/x.lumisnet"], "--traces"),
            (["train", "--launch", gum, "--traces", "10", "--batch-size", "-1", "--out", "/tmp/x"], "--batch-size"),
            (["dataset", "--launch", gum, "--traces", "-1", "--out", "/tmp/x"], "--traces"),
        ])
    func counts(arguments: [String], option: String) throws {
        let outcome = try Self.lumis(arguments)
        Self.expectOneLine(outcome, status: 64, mentions: [option, "must be a positive integer"])
    }

    @Test("--traces 1e10 is refused before any simulator starts, naming the memory needed and the limit")
    func memoryLimit() throws {
        let directory = try Executables.temporaryDirectory("ops-memory")
        defer { try? FileManager.default.removeItem(at: directory) }
        let marker = directory.appendingPathComponent("launched").path
        // The launch command would leave a marker if anything started it.
        let launch = "\(try Executables.simulator("gum")) {endpoint} & touch \(marker)"
        let huge = try Self.lumis(["infer", "--launch", launch, "--traces", "1e10", "--observe", "obs0=1"])
        Self.expectOneLine(huge, status: 64, mentions: ["--traces 10000000000", "GiB", "limit"])
        #expect(!FileManager.default.fileExists(atPath: marker))

        // Under an address-space limit the same check names RLIMIT_AS, and a run that fits still runs.
        let lumis = try Executables.lumis()
        let limited = { (traces: String) throws -> Executables.Outcome in
            try Executables.run(
                "/bin/sh",
                [
                    "-c", "ulimit -v 3000000 && exec \"$0\" \"$@\"", lumis, "infer", "--launch",
                    "\(try Executables.simulator("gum")) {endpoint}", "--traces", traces, "--observe", "obs0=8",
                    "--observe", "obs1=9", "--seed", "3", "--no-progress",
                ])
        }
        Self.expectOneLine(try limited("2e8"), status: 64, mentions: ["RLIMIT_AS", "2.9 GiB"])
        let fits = try limited("500")
        #expect(fits.status == 0, "\(fits.standardError)")
        #expect(fits.standardOutput.contains("traces: 500"))
    }

    @Test("A key repeated in --observe-file is an error naming it")
    func duplicateObservationKey() throws {
        let directory = try Executables.temporaryDirectory("ops-observe")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("obs.json").path
        try #"{"obs0": 8, "nested": {"obs1": 1, "obs1": 2}, "obs1": 9, "obs0": 7}"#.write(
            toFile: file, atomically: true, encoding: .utf8)
        let outcome = try Self.lumis([
            "infer", "--launch", "\(try Executables.simulator("gum")) {endpoint}", "--observe-file", file,
        ])
        Self.expectOneLine(outcome, status: 64, mentions: ["'obs0'", "given twice", file])
        #expect(!outcome.standardError.contains("'obs1'"))
    }

    @Test("SIGTERM exits 143, stops the launched simulator and writes no file")
    func sigterm() throws {
        let directory = try Executables.temporaryDirectory("ops-sigterm")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("p.json").path
        let errorPath = directory.appendingPathComponent("stderr.txt").path
        let pid = try EndToEndTests.spawn(
            Executables.lumis(),
            [
                "infer", "--launch", try Executables.simulator("hmm") + " {endpoint}", "--engine", "prior",
                "--traces", "50000000", "--seed", "1", "--out", out,
            ],
            errorPath: errorPath)
        #expect(EndToEndTests.waitForSimulator(of: pid), "the simulator never started")
        usleep(500_000)
        kill(pid, SIGTERM)
        let status = EndToEndTests.wait(for: pid, limit: .seconds(20))
        if status == nil { kill(pid, SIGKILL) }
        #expect(status.map { $0 & 0x7f == 0 && ($0 >> 8) & 0xff == 143 } ?? false, "\(String(describing: status))")
        #expect(EndToEndTests.simulators(of: pid).isEmpty, "the launched hmm is still running")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect((try? String(contentsOfFile: errorPath, encoding: .utf8)) == "lumis: terminated (SIGTERM)\n")
    }

    @Test("An interrupted MCMC run's partial file is flagged by summary and diagnose")
    func interruptedMCMC() throws {
        let directory = try Executables.temporaryDirectory("ops-mcmc")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("chains.json").path
        let errorPath = directory.appendingPathComponent("stderr.txt").path
        let pid = try EndToEndTests.spawn(
            Executables.lumis(),
            [
                "infer", "--launch", try Executables.simulator("hmm") + " {endpoint}", "--engine", "rmh",
                "--chains", "2", "--burn-in", "10", "--traces", "50000000", "--seed", "5", "--out", out,
                "--observe-file", try Self.hmmObservations(in: directory),
            ],
            errorPath: errorPath)
        #expect(EndToEndTests.waitForSimulator(of: pid), "the simulator never started")
        usleep(1_500_000)
        kill(pid, SIGTERM)
        let status = EndToEndTests.wait(for: pid, limit: .seconds(20))
        if status == nil { kill(pid, SIGKILL) }
        #expect(status.map { ($0 >> 8) & 0xff == 143 } ?? false, "\(String(describing: status))")
        let summary = try Self.lumis(["summary", out])
        #expect(summary.status == 0, "\(summary.standardError)")
        #expect(summary.standardOutput.hasPrefix("INCOMPLETE: "), "\(summary.standardOutput)")
        let diagnose = try Self.lumis(["diagnose", out])
        #expect(diagnose.status == 0)
        let lines = diagnose.standardOutput.split(separator: "\n")
        #expect(lines.first?.hasPrefix("INCOMPLETE: ") == true, "\(diagnose.standardOutput)")
        #expect(lines.dropFirst().first?.contains("CONVERGED") == true, "\(diagnose.standardOutput)")
    }

    @Test("lumis diagnose starts with the verdict and the worst R-hat and ESS; summary orders x2 before x10")
    func diagnoseAndSummary() throws {
        let directory = try Executables.temporaryDirectory("ops-diagnose")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("chains.json").path
        let run = try Self.lumis([
            "infer", "--launch", try Executables.simulator("hmm") + " {endpoint}", "--engine", "rmh",
            "--chains", "2", "--burn-in", "20", "--traces", "200", "--seed", "5", "--out", out, "--no-progress",
            "--observe-file", try Self.hmmObservations(in: directory), "--draws-csv",
            directory.appendingPathComponent("chains.draws.csv").path,
        ])
        #expect(run.status == 0, "\(run.standardError)")
        let file = try PosteriorSummary(contentsOfFile: out)
        // The worst R-hat and lowest ESS computed here from the file, independently of the headline code.
        var worst = (value: -Double.infinity, at: ""), lowest = (value: Double.infinity, at: "")
        var allWithin = true
        let all = Array(file.variables) + Array(file.addresses) + (file.result.map { [("(result)", $0)] } ?? [])
        for (name, statistics) in all {
            let diagnostics = try #require(statistics.diagnostics)
            for element in diagnostics.rHat.indices {
                let label = statistics.shape.isEmpty ? name : "\(name) element \(element)"
                let rHat = diagnostics.rHat[element]
                let ess = min(diagnostics.essBulk[element], diagnostics.essTail[element])
                if rHat > worst.value { worst = (rHat, label) }
                if ess < lowest.value { lowest = (ess, label) }
                allWithin = allWithin && rHat <= 1.01 && ess >= 400
            }
        }
        let diagnose = try Self.lumis(["diagnose", out])
        #expect(diagnose.status == 0)
        let first = String(diagnose.standardOutput.split(separator: "\n").first ?? "")
        #expect(first.hasPrefix(allWithin ? "CONVERGED: " : "NOT CONVERGED: "), "\(first)")
        #expect(first.contains("worst R-hat") && first.contains(" at \(worst.at),"), "\(first) vs \(worst)")
        #expect(first.contains("lowest ESS") && first.hasSuffix(" at \(lowest.at) (limits: R-hat ≤ 1.01, ESS ≥ 400)"))
        #expect(diagnose.standardOutput.split(separator: "\n").dropFirst().allSatisfy { $0.hasPrefix("warning: ") })

        let table = try Self.lumis(["summary", out])
        let names = table.standardOutput.split(separator: "\n").compactMap { line -> String? in
            let name = String(line.split(separator: " ").first ?? "")
            return name.hasPrefix("x") ? name : nil
        }
        #expect(names == (0...16).map { "x\($0)" }, "\(names)")
        let selected = try Self.lumis(["summary", out, "--var", "x10", "--var", "x2"])
        let rows = selected.standardOutput.split(separator: "\n").compactMap { $0.split(separator: " ").first }
            .filter { $0.hasPrefix("x") }
        #expect(rows == ["x2", "x10"], "\(selected.standardOutput)")
        Self.expectOneLine(
            try Self.lumis(["summary", out, "--var", "y7"]), status: 64, mentions: ["--var y7", "x0, x1, x2"])

        // plot --var draws the selected variables only (MCMC: histogram, trace and autocorrelation each).
        let plots = directory.appendingPathComponent("plots").path
        let plot = try Self.lumis(["plot", out, "--out", plots, "--var", "x10", "--var", "x2"])
        #expect(plot.status == 0, "\(plot.standardError)")
        let drawn = try FileManager.default.contentsOfDirectory(atPath: plots).sorted()
        let expected = ["x10", "x2"].flatMap { name in
            ["autocorrelation", "histogram", "trace"].map { "\(name).\($0).svg" }
        }
        #expect(drawn == (["index.html"] + expected).sorted(), "\(drawn)")
        Self.expectOneLine(
            try Self.lumis(["plot", out, "--out", plots, "--var", "y7"]), status: 64, mentions: ["--var y7", "x0, x1"])
    }

    @Test("lumis dataset-info on a one-shard 2,000-trace dataset shows the real counts")
    func datasetInfo() throws {
        let directory = try Executables.temporaryDirectory("ops-dataset")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data").path
        let write = try Self.lumis([
            "dataset", "--launch", try Executables.simulator("gum") + " {endpoint}", "--traces", "2000",
            "--seed", "2", "--out", data, "--no-progress",
        ])
        #expect(write.status == 0, "\(write.standardError)")
        let info = try Self.lumis(["dataset-info", data])
        #expect(info.status == 0)
        let lines = info.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.contains("traces      2000 of 2000"), "\(info.standardOutput)")
        #expect(lines.contains("shards      1 of 1, 2000 traces (at most 100000 per shard)"), "\(info.standardOutput)")
    }

    @Test("lumis dataset: an --out under a file is one line naming it; a drawn seed is reported with the results")
    func datasetOutputAndSeed() throws {
        let directory = try Executables.temporaryDirectory("ops-dataset-out")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("file").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let gum = try Executables.simulator("gum") + " {endpoint}"
        let refused = try Self.lumis(["dataset", "--launch", gum, "--traces", "10", "--out", file + "/data"])
        Self.expectOneLine(refused, status: 1, mentions: [file + "/data", "Not a directory"])
        let data = directory.appendingPathComponent("data").path
        let written = try Self.lumis(["dataset", "--launch", gum, "--traces", "10", "--out", data, "--no-progress"])
        #expect(written.status == 0, "\(written.standardError)")
        // The seed the manifest records (dataset-info's "seed" line).
        let info = try Self.lumis(["dataset-info", data])
        let seedLine = try #require(info.standardOutput.split(separator: "\n").first { $0.hasPrefix("seed ") })
        let seed = try #require(seedLine.split(separator: " ").last.flatMap { UInt64($0) })
        let lines = written.standardError.split(separator: "\n")
        #expect(
            lines.first == "seed \(seed) (drawn at random; --seed \(seed) repeats the run)"
                && lines.last?.hasPrefix("wrote 10 traces") == true,
            "\(written.standardError)")
    }

    @Test(
        "Every option with a value states its default in --help",
        arguments: [
            "infer", "calibrate", "train", "dataset", "dataset-info", "network-info", "summary", "diagnose", "plot",
            "ping",
        ])
    func helpStatesDefaults(subcommand: String) throws {
        let dump = try Self.lumis([subcommand, "--experimental-dump-help"])
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(dump.standardOutput.utf8)) as? [String: Any])
        let command = try #require(json["command"] as? [String: Any])
        let arguments = try #require(command["arguments"] as? [[String: Any]])
        var undocumented: [String] = []
        for argument in arguments where argument["kind"] as? String == "option" {
            guard argument["isOptional"] as? Bool == true, argument["shouldDisplay"] as? Bool != false else { continue }
            let abstract = (argument["abstract"] as? String ?? "").lowercased()
            if argument["defaultValue"] == nil && !abstract.contains("default") {
                undocumented.append(((argument["preferredName"] as? [String: Any])?["name"] as? String) ?? "?")
            }
        }
        #expect(undocumented.isEmpty, "\(subcommand): \(undocumented)")
    }
}
