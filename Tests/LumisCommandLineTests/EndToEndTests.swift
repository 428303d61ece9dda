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
            label: "observe value not a number",
            arguments: [
                "infer", "--launch", gum, "--observe", "obs0=abc",
                "--out", "{out}",
            ],
            status: 64, mentions: ["obs0", "'abc'"]),
        BadInput(
            label: "observe without a value",
            arguments: ["infer", "--launch", gum, "--observe", "obs0", "--out", "{out}"],
            status: 64, mentions: ["obs0", "name=value"]),
        BadInput(
            label: "missing observe file",
            arguments: [
                "infer", "--launch", gum, "--observe-file",
                "/nonexistent-lumis/obs.json", "--out", "{out}",
            ],
            status: 64, mentions: ["/nonexistent-lumis/obs.json"]),
        BadInput(
            label: "unreachable endpoint",
            arguments: [
                "infer", "--simulator", "ipc://@nobody-X-lumis-e2e", "--timeout",
                "1", "--out", "{out}",
            ],
            status: 1, mentions: ["ipc://@nobody-X-lumis-e2e", "no simulator answered"]),
        BadInput(
            label: "unwritable out",
            arguments: [
                "infer", "--launch", gum, "--observe", "obs0=1", "--observe", "obs1=2",
                "--out", "/nonexistent-dir/p.json",
            ],
            status: 1, mentions: ["/nonexistent-dir/p.json"]),
        BadInput(
            label: "missing named observation",
            arguments: ["infer", "--launch", gum, "--traces", "10", "--out", "{out}"],
            status: 1, mentions: ["obs0", "--observe obs0=VALUE"]),
        BadInput(
            label: "workers without endpoints",
            arguments: [
                "infer", "--simulator", "ipc://@a", "--workers", "2",
                "--out", "{out}",
            ],
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

    /// Starts `executable` with `arguments`, standard output to /dev/null and standard error to `errorPath`.
    ///
    /// posix_spawn rather than Foundation's Process: the test reaps the child itself with waitpid, and the child
    /// inherits this thread's signal mask as it is (a test runner's threads block SIGINT, which lumis must undo),
    /// unless `clearsSignalMask` (for a program such as mpirun that does not undo it, as a batch system's would not
    /// need to).
    static func spawn(
        _ executable: String, _ arguments: [String], errorPath: String, clearsSignalMask: Bool = false
    ) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        if clearsSignalMask {
            var empty = sigset_t()
            sigemptyset(&empty)
            posix_spawnattr_setsigmask(&attributes, &empty)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard status == 0 else { throw Executables.Missing(description: "cannot spawn \(executable): \(status)") }
        return pid
    }

    /// A text in the command line of every simulator the `lumis` process `pid` launched: its endpoint's prefix.
    static func simulatorMarker(of pid: pid_t) -> String { "/lumis-\(pid)-" }

    /// The processes `lumis` (process `pid`) launched that are still running.
    static func simulators(of pid: pid_t) -> [Int32] { processes(containing: simulatorMarker(of: pid)) }

    /// Waits up to 20 s until `lumis` (process `pid`) has launched a simulator; whether it did.
    static func waitForSimulator(of pid: pid_t) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(20)
        // Seen once is enough: asking again could land while the launching shell execs the simulator.
        while clock.now < deadline {
            if !simulators(of: pid).isEmpty { return true }
            usleep(20_000)
        }
        return false
    }

    /// Waits up to `limit` for `pid` to exit and returns its wait status, or `nil` if it is still running.
    static func wait(for pid: pid_t, limit: Duration) -> Int32? {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        var status: Int32 = 0
        while clock.now < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { return status }
            usleep(20_000)
        }
        return nil
    }

    @Test("Ctrl-C exits 130, writes no file and stops the launched simulator")
    func interrupt() throws {
        let directory = try Executables.temporaryDirectory("e2e-interrupt")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("p.json").path
        let errorPath = directory.appendingPathComponent("stderr.txt").path
        // hmm answers at once, so lumis is rarely inside a wait when the signal lands: the hard case.
        let pid = try Self.spawn(
            Executables.lumis(),
            [
                "infer", "--launch", try Executables.simulator("hmm") + " {endpoint}", "--engine", "prior",
                "--traces", "50000000", "--seed", "1", "--out", out,
            ],
            errorPath: errorPath)
        // The simulator's endpoint is ipc://$TMPDIR/lumis-<lumis pid>-XXXXXX/0.sock; wait until it runs (the handler is installed
        // before it is launched), then let the run go on for a moment.
        #expect(Self.waitForSimulator(of: pid), "the simulator never started")
        usleep(1_000_000)
        kill(pid, SIGINT)
        var status = Self.wait(for: pid, limit: .seconds(20))
        if status == nil {
            Issue.record("lumis ignored SIGINT")
            kill(pid, SIGKILL)
            status = Self.wait(for: pid, limit: .seconds(20))
        }
        let leftovers = Self.simulators(of: pid)
        for leftover in leftovers { kill(leftover, SIGKILL) }
        #expect(leftovers.isEmpty, "the launched hmm is still running")
        // Exited normally (low 7 bits 0) with status 130.
        let exitedWith130 = status.map { $0 & 0x7f == 0 && ($0 >> 8) & 0xff == 130 } ?? false
        #expect(exitedWith130, "wait status \(String(describing: status))")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect((try? String(contentsOfFile: errorPath, encoding: .utf8)) == "lumis: interrupted\n")
    }
}
