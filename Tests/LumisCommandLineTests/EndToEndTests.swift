import Foundation
import LumisInference
import LumisTestSupport
import Testing

/// The built `lumis` executable against the real C++ simulators: bad input costs one line on stderr, a
/// non-zero exit and no output file; a good run writes a file `lumis summary` reads; Ctrl-C cleans up.
@Suite("lumis end to end", .serialized, .timeLimit(.minutes(2)))
struct EndToEndTests {
    /// A bad invocation and what its one line must say; `{out}` is replaced by a path in a scratch directory.
    struct BadInput: Sendable, CustomTestStringConvertible {
        var label: String
        var arguments: [String]
        var status: Int32
        var mentions: [String]
        var testDescription: String { label }
    }

    static let gum = "gum {endpoint}"

    static let badInputs: [BadInput] = [
        BadInput(
            label: "unknown engine", arguments: ["infer", "--launch", gum, "--engine", "foo", "--out", "{out}"],
            status: 64, mentions: ["'foo'", "--engine"]),
        BadInput(
            label: "observe value not a number", arguments: ["infer", "--launch", gum, "--observe", "obs0=abc",
                "--out", "{out}"],
            status: 64, mentions: ["obs0", "'abc'"]),
        BadInput(
            label: "observe without a value",
            arguments: ["infer", "--launch", gum, "--observe", "obs0", "--out", "{out}"],
            status: 64, mentions: ["obs0", "name=value"]),
        BadInput(
            label: "missing observe file", arguments: ["infer", "--launch", gum, "--observe-file",
                "/nonexistent-lumis/obs.json", "--out", "{out}"],
            status: 64, mentions: ["/nonexistent-lumis/obs.json"]),
        BadInput(
            label: "unreachable endpoint", arguments: ["infer", "--simulator", "ipc://@nobody-X-lumis-e2e", "--timeout",
                "1", "--out", "{out}"],
            status: 1, mentions: ["ipc://@nobody-X-lumis-e2e", "no simulator answered"]),
        BadInput(
            label: "unwritable out", arguments: ["infer", "--launch", gum, "--observe", "obs0=1", "--observe", "obs1=2",
                "--out", "/nonexistent-dir/p.json"],
            status: 1, mentions: ["/nonexistent-dir/p.json"]),
        BadInput(
            label: "missing named observation",
            arguments: ["infer", "--launch", gum, "--traces", "10", "--out", "{out}"],
            status: 1, mentions: ["obs0", "--observe obs0=VALUE"]),
        BadInput(
            label: "workers without endpoints", arguments: ["infer", "--simulator", "ipc://@a", "--workers", "2",
                "--out", "{out}"],
            status: 64, mentions: ["--workers 2"]),
        BadInput(
            label: "summary of a missing file", arguments: ["summary", "/nonexistent-lumis/p.json"], status: 1,
            mentions: ["/nonexistent-lumis/p.json"]),
        BadInput(
            label: "summary of a corrupt file", arguments: ["summary", "{dir}/corrupt.json"], status: 1,
            mentions: ["corrupt.json", "invalid JSON"]),
    ]

    static func resolve(_ arguments: [String], directory: URL) throws -> [String] {
        let simulators = Executables.simulatorDirectory.path
        return arguments.map { argument in
            argument.replacing("{out}", with: directory.appendingPathComponent("p.json").path)
                .replacing("{dir}", with: directory.path)
                .replacing(gum, with: simulators + "/" + gum)
        }
    }

    @Test("Bad input gives exactly one line on stderr, a non-zero exit and no output file", arguments: badInputs)
    func badInput(_ input: BadInput) throws {
        _ = try Executables.simulator("gum")
        let directory = try Executables.temporaryDirectory("e2e-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        try "{\"format\": \"lumis-posterior\", \"version\"".write(
            to: directory.appendingPathComponent("corrupt.json"), atomically: true, encoding: .utf8)
        let outcome = try Executables.run(Executables.lumis(), try Self.resolve(input.arguments, directory: directory))
        #expect(outcome.status == input.status, "\(outcome.standardError)")
        #expect(outcome.standardOutput.isEmpty)
        let lines = outcome.standardError.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines.last == "", "stderr was: \(outcome.standardError)")
        #expect(lines.first?.hasPrefix("Error: ") == true)
        for text in input.mentions { #expect(outcome.standardError.contains(text), "\(outcome.standardError)") }
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("p.json").path))
        #expect(!FileManager.default.fileExists(atPath: "/nonexistent-dir/p.json"))
    }

    @Test("A good run writes a posterior file that lumis summary prints as a table")
    func goodRunAndSummary() throws {
        let directory = try Executables.temporaryDirectory("e2e-good")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("posterior.json").path
        let lumis = try Executables.lumis()
        let infer = try Executables.run(
            lumis,
            [
                "infer", "--launch", try Executables.simulator("gum") + " {endpoint}", "--observe", "obs0=8",
                "--observe", "obs1=9", "--traces", "2000", "--seed", "1", "--workers", "2", "--out", out,
            ])
        #expect(infer.status == 0, "\(infer.standardError)")
        #expect(infer.standardOutput.isEmpty)
        #expect(infer.standardError == "wrote \(out)\n")
        let summary = try PosteriorSummary(contentsOfFile: out)
        #expect(summary.traceCount == 2000 && summary.metadata.seed == 1)
        #expect(summary.metadata.model == "Gaussian with unknown mean")
        #expect(summary.metadata.failedTraces == 0 && summary.metadata.restarts == 0)
        #expect(summary.variables["mu"] != nil)

        let table = try Executables.run(lumis, ["summary", out])
        #expect(table.status == 0 && table.standardError.isEmpty)
        #expect(table.standardOutput == summary.renderTable())
        #expect(table.standardOutput.contains("model: Gaussian with unknown mean"))
        let header = table.standardOutput.split(separator: "\n").first { $0.hasPrefix("name") }
        #expect(header?.split(separator: " ").map(String.init) == ["name", "mean", "stddev", "5%", "50%", "95%"])
        #expect(table.standardOutput.split(separator: "\n").contains { $0.hasPrefix("mu ") })
    }

    @Test("lumis ping handshakes with a launched simulator and exits")
    func ping() throws {
        let outcome = try Executables.run(
            Executables.lumis(), ["ping", "--launch", try Executables.simulator("gum") + " {endpoint}"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.standardOutput.contains("model 'Gaussian with unknown mean'"))
        #expect(outcome.standardError.isEmpty)
    }

    /// Process ids whose command line contains `text`.
    static func processes(containing text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), pid != getpid(),
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { return nil }
            let commandLine = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return commandLine.contains(text) ? pid : nil
        }
    }

    @Test("Ctrl-C exits 130, writes no file and stops the launched simulator")
    func interrupt() throws {
        let directory = try Executables.temporaryDirectory("e2e-interrupt")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("p.json").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Executables.lumis())
        process.arguments = [
            "infer", "--launch", try Executables.simulator("hmm") + " {endpoint}", "--engine", "prior", "--traces",
            "50000000", "--seed", "1", "--out", out,
        ]
        let errorPipe = Pipe()
        process.standardError = errorPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // The simulator's endpoint is ipc://@lumis-<lumis pid>-...; wait until it runs (the handler is installed
        // before it is launched), then let the run go on for a moment.
        let marker = "ipc://@lumis-\(process.processIdentifier)-"
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(20)
        while Self.processes(containing: marker).isEmpty && clock.now < deadline { usleep(20_000) }
        #expect(!Self.processes(containing: marker).isEmpty, "the simulator never started")
        usleep(1_000_000)
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 130)
        #expect(!FileManager.default.fileExists(atPath: out))
        let leftovers = Self.processes(containing: marker)
        #expect(leftovers.isEmpty, "the launched hmm is still running")
        // A leftover would hold the pipe open; stop it so that reading stderr cannot block.
        for pid in leftovers { kill(pid, SIGKILL) }
        let errorData = errorPipe.fileHandleForReading.readDataToEndOfFile()
        #expect(String(decoding: errorData, as: UTF8.self) == "lumis: interrupted\n")
    }
}
