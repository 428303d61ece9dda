import Foundation
import LumisTestSupport
import Testing

/// Launched simulators through the built `lumis`: a broken command costs one line at once, a silent one a
/// start-up timeout, endpoints are private, simulators die with `lumis` (even kill -9), and their output goes
/// where --simulator-output says.
@Suite("lumis launching simulators", .serialized, .timeLimit(.minutes(2)))
struct LaunchTests {
    static let gumObservations = ["--observe", "obs0=8", "--observe", "obs1=9"]

    @Test("A command that is not found fails after the first attempt with one line")
    func commandNotFound() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = try OperationsTests.lumis(
            ["infer", "--launch", "no-such-command-lumis {endpoint}", "--workers", "2", "--traces", "10"]
                + Self.gumObservations)
        OperationsTests.expectOneLine(outcome, status: 1, mentions: ["no-such-command-lumis", "command not found"])
        #expect(clock.now - start < .seconds(10))
    }

    @Test("A command that exits before answering names its status")
    func exitsBeforeBinding() throws {
        let outcome = try OperationsTests.lumis(["ping", "--launch", "sh -c 'exit 4' # {endpoint}"])
        OperationsTests.expectOneLine(outcome, status: 1, mentions: ["exited with status 4 before answering"])
    }

    @Test("A command that never binds gets --startup-timeout, a note while waiting, then one line")
    func neverBinds() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = try OperationsTests.lumis(
            [
                "infer", "--launch", "sleep 120 # lumis-never-binds {endpoint}", "--startup-timeout", "6", "--traces",
                "3",
            ]
                + Self.gumObservations)
        let elapsed = clock.now - start
        #expect(outcome.status == 1)
        let lines = outcome.standardError.split(separator: "\n")
        #expect(lines.count == 2, "\(outcome.standardError)")
        #expect(lines.first?.hasPrefix("still waiting for the simulator at ipc://") == true, "\(outcome.standardError)")
        #expect(lines.last?.hasPrefix("Error: ") == true && lines.last?.contains("--startup-timeout") == true)
        #expect(elapsed >= .seconds(6) && elapsed < .seconds(15), "\(elapsed)")
        #expect(EndToEndTests.processes(containing: "lumis-never-binds").isEmpty, "the silent command is still running")
    }

    @Test(
        "A --simulator that is not an endpoint names the accepted forms and a likely fix",
        arguments: [
            ("localhost:5555", "did you mean tcp://localhost:5555?"), ("/tmp/sim", "did you mean ipc:///tmp/sim?"),
            ("tcp://host", "tcp://HOST:PORT"), ("udp://a:1", "ipc://PATH"),
        ])
    func endpointForms(endpoint: String, hint: String) throws {
        let outcome = try OperationsTests.lumis(["infer", "--simulator", endpoint, "--traces", "3"])
        OperationsTests.expectOneLine(outcome, status: 64, mentions: ["--simulator \(endpoint)", hint])
    }

    @Test("A tcp endpoint off this machine gets a one-line notice that PPX has no authentication")
    func remoteNotice() throws {
        // 192.0.2.0/24 is reserved for documentation: nothing answers there.
        let remote = try OperationsTests.lumis(["ping", "--simulator", "tcp://192.0.2.1:5555", "--timeout", "0.3"])
        let lines = remote.standardError.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("note: ") && lines[0].contains("no authentication"))
        let local = try OperationsTests.lumis(["ping", "--simulator", "tcp://127.0.0.1:5599", "--timeout", "0.3"])
        #expect(!local.standardError.contains("authentication"), "\(local.standardError)")
    }

    @Test("Launched endpoints live in a 0700 directory that is removed afterwards; kill -9 of lumis kills them")
    func privateEndpointsAndParentDeath() throws {
        let directory = try Executables.temporaryDirectory("launch-kill")
        defer { try? FileManager.default.removeItem(at: directory) }
        let errorPath = directory.appendingPathComponent("stderr.txt").path
        let arguments = [
            "infer", "--launch", try Executables.simulator("hmm") + " {endpoint}", "--engine", "prior", "--workers",
            "2", "--traces", "50000000", "--seed", "1", "--out", directory.appendingPathComponent("p.json").path,
        ]
        // First an orderly end (SIGINT): the private directory must be gone afterwards.
        var pid = try EndToEndTests.spawn(Executables.lumis(), arguments, errorPath: errorPath)
        #expect(EndToEndTests.waitForSimulator(of: pid))
        let endpointDirectory = try #require(Self.endpointDirectory(of: EndToEndTests.simulators(of: pid).first))
        var info = stat()
        #expect(stat(endpointDirectory, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700 && info.st_uid == getuid(), "mode \(String(info.st_mode, radix: 8))")
        kill(pid, SIGINT)
        #expect(EndToEndTests.wait(for: pid, limit: .seconds(20)) != nil)
        #expect(!FileManager.default.fileExists(atPath: endpointDirectory), "\(endpointDirectory) is left behind")

        // Then kill -9: lumis can do nothing, the kernel must take its simulators down.
        pid = try EndToEndTests.spawn(Executables.lumis(), arguments, errorPath: errorPath)
        #expect(EndToEndTests.waitForSimulator(of: pid))
        usleep(300_000)
        let simulators = EndToEndTests.simulators(of: pid)
        #expect(simulators.count == 2)
        let stale = try #require(Self.endpointDirectory(of: simulators.first))
        // Each simulator leads its own process group, so stopping it reaches whatever it started.
        for simulator in simulators { #expect(getpgid(simulator) == simulator) }
        kill(pid, SIGKILL)
        _ = EndToEndTests.wait(for: pid, limit: .seconds(10))
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(5)
        while !EndToEndTests.simulators(of: pid).isEmpty && clock.now < deadline { usleep(20_000) }
        let leftovers = EndToEndTests.simulators(of: pid)
        for leftover in leftovers { kill(leftover, SIGKILL) }
        #expect(leftovers.isEmpty, "simulators outlived a killed lumis")

        // A killed lumis cannot remove its directory; the next run of this user sweeps it.
        #expect(FileManager.default.fileExists(atPath: stale))
        let next = try OperationsTests.lumis(
            Array(arguments.prefix(5)) + [
                "--traces", "1", "--no-progress", "--out", directory.appendingPathComponent("q.json").path,
            ])
        #expect(next.status == 0, "\(next.standardError)")
        #expect(!FileManager.default.fileExists(atPath: stale), "\(stale) outlived the next run")
    }

    @Test("A launched simulator's output goes nowhere by default, to our stderr with inherit, to a log with DIR")
    func simulatorOutput() throws {
        let directory = try Executables.temporaryDirectory("launch-output")
        defer { try? FileManager.default.removeItem(at: directory) }
        // faulty prints "faulty: dying in trace 2 as asked" on its stderr, then exits; Lumis restarts it.
        let launch = try Executables.simulator("faulty") + " {endpoint} --die-at 2"
        let base = [
            "infer", "--launch", launch, "--traces", "5", "--observe", "obs0=1", "--observe", "obs1=2", "--no-progress",
            "--seed", "4",
        ]
        let quiet = try OperationsTests.lumis(base + ["--out", directory.appendingPathComponent("a.json").path])
        #expect(quiet.status == 0, "\(quiet.standardError)")
        #expect(!quiet.standardError.contains("faulty: dying"))
        let inherited = try OperationsTests.lumis(
            base + ["--simulator-output", "inherit", "--out", directory.appendingPathComponent("b.json").path])
        #expect(inherited.standardError.contains("faulty: dying in trace 2 as asked"))
        #expect(!inherited.standardOutput.contains("faulty"))
        let logs = directory.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let logged = try OperationsTests.lumis(
            base + ["--simulator-output", logs.path, "--out", directory.appendingPathComponent("c.json").path])
        #expect(logged.status == 0 && !logged.standardError.contains("faulty: dying"))
        let log = try String(contentsOf: logs.appendingPathComponent("simulator-0.log"), encoding: .utf8)
        #expect(log.contains("faulty: dying in trace 2 as asked"), "\(log)")
    }

    /// The directory of the ipc endpoint in process `pid`'s command line.
    static func endpointDirectory(of pid: Int32?) -> String? {
        guard let pid, let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
        let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard let endpoint = arguments.first(where: { $0.hasPrefix("ipc://") }) else { return nil }
        return (String(endpoint.dropFirst("ipc://".count)) as NSString).deletingLastPathComponent
    }
}
