import Foundation
import LumisTestSupport
import Testing

/// Progress on standard error through the real binary: in a log (stderr not a terminal) one plain line every
/// `--progress-every` seconds with phase, percentage, counts, rate and ETA; a live line with `--progress`.
@Suite("lumis progress reporting", .serialized, .timeLimit(.minutes(3)))
struct ProgressTests {
    static let observations = ["--observe", "obs0=8", "--observe", "obs1=9"]

    static func lumis(_ arguments: [String]) throws -> Executables.Outcome {
        let outcome = try Executables.run(try Executables.lumis(), arguments)
        try #require(outcome.status == 0, "\(outcome.standardError)")
        return outcome
    }

    /// The stderr lines that are progress lines of `phase`.
    static func lines(_ text: String, phase: String) -> [Substring] {
        text.split(separator: "\n").filter { $0.hasPrefix(phase + "  ") }
    }

    /// Checks that a periodic line has a percentage, counts of `unit`, a rate and an ETA (or, last, `done in`).
    static func checkShape(_ line: Substring, unit: String) {
        #expect(line.contains("%") && line.contains(" \(unit)  ") && line.contains(" \(unit)/s"), "\(line)")
        #expect(line.contains("  ETA ") || line.contains("  done in "), "\(line)")
        #expect(!line.contains("\r"))
    }

    @Test("rmh: burn-in then sampling as phases, percentages rising to 100%")
    func mcmcPhases() throws {
        let launch = "\(try Executables.simulator("gum")) {endpoint}"
        let outcome = try Self.lumis(
            [
                "infer", "--engine", "rmh", "--launch", launch, "--chains", "2", "--burn-in", "4000", "--traces",
                "4000", "--seed", "91", "--progress-every", "0.05",
            ] + Self.observations)
        let burnIn = Self.lines(outcome.standardError, phase: "burn-in")
        let sampling = Self.lines(outcome.standardError, phase: "sampling")
        #expect(!burnIn.isEmpty && !sampling.isEmpty, "\(outcome.standardError)")
        for line in burnIn + sampling { Self.checkShape(line, unit: "proposals") }
        // Burn-in is the first half of the proposals: its lines say at most 50%, and come first.
        let text = outcome.standardError
        if let lastBurnIn = burnIn.last, let firstSampling = sampling.first {
            #expect(text.range(of: lastBurnIn)!.lowerBound < text.range(of: firstSampling)!.lowerBound)
            let percent = Int(lastBurnIn.split(separator: "%")[0].split(separator: " ").last ?? "") ?? 100
            #expect(percent <= 50, "\(lastBurnIn)")
        }
        #expect(sampling.last?.contains("100%  16000/16000 proposals") == true, "\(sampling.last ?? "")")
        #expect(sampling.last?.contains("done in") == true)
    }

    @Test("is shows the running ESS; train its loss; dataset its writing; short runs stay quiet by default")
    func otherCommands() throws {
        let directory = try Executables.temporaryDirectory("progress")
        defer { try? FileManager.default.removeItem(at: directory) }
        let launch = "\(try Executables.simulator("gum")) {endpoint}"
        let importance = try Self.lumis(
            ["infer", "--launch", launch, "--traces", "20000", "--seed", "92", "--progress-every", "0.05"]
                + Self.observations)
        let sampling = Self.lines(importance.standardError, phase: "sampling")
        #expect(!sampling.isEmpty, "\(importance.standardError)")
        for line in sampling {
            Self.checkShape(line, unit: "traces")
            #expect(line.contains("  ESS "), "\(line)")
        }
        let training = try Self.lumis([
            "train", "--launch", launch, "--batch-size", "32", "--lstm-hidden", "8", "--embedding-dim", "4",
            "--validation-traces", "32", "--seed", "93", "--traces", "2048", "--progress-every", "0.05",
            "--out", directory.appendingPathComponent("n.lumisnet").path,
        ])
        let trainingLines = Self.lines(training.standardError, phase: "training")
        #expect(!trainingLines.isEmpty, "\(training.standardError)")
        for line in trainingLines {
            Self.checkShape(line, unit: "traces")
            #expect(line.contains("  loss ") && line.contains("  lr "), "\(line)")
        }
        let dataset = try Self.lumis([
            "dataset", "--launch", launch, "--traces", "20000", "--seed", "94", "--progress-every", "0.05",
            "--out", directory.appendingPathComponent("data").path,
        ])
        let writing = Self.lines(dataset.standardError, phase: "writing")
        #expect(!writing.isEmpty, "\(dataset.standardError)")
        for line in writing { Self.checkShape(line, unit: "traces") }
        // The default interval is 60 s: a short run writes no progress line to a log.
        let quiet = try Self.lumis(
            ["infer", "--launch", launch, "--traces", "200", "--seed", "95"] + Self.observations)
        #expect(Self.lines(quiet.standardError, phase: "sampling").isEmpty, "\(quiet.standardError)")
        // --progress forces the live line, redrawn in place.
        let live = try Self.lumis(
            ["infer", "--launch", launch, "--traces", "200", "--seed", "95", "--progress"] + Self.observations)
        #expect(live.standardError.contains("\rsampling  100%  200/200 traces"), "\(live.standardError)")
    }

    @Test("--progress-every must be a positive number of seconds")
    func badInterval() throws {
        let outcome = try Executables.run(
            try Executables.lumis(), ["infer", "--launch", "gum {endpoint}", "--progress-every", "0"])
        #expect(outcome.status == 64)
        #expect(outcome.standardError.contains("--progress-every"), "\(outcome.standardError)")
    }
}
