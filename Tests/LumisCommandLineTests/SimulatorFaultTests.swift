import Foundation
import LumisTestSupport
import Testing

/// Issue 13 parts 5 and 6 through the real `lumis` binary and the real `faulty` simulator: messages a simulator
/// author can act on (escaped simulator data, what was sent and what was expected, the endpoint, the option that
/// set the count, exact failure limits), and a dead attached simulator detected at once by the socket monitor.
@Suite("Simulator faults seen by the author", .serialized, .timeLimit(.minutes(2)))
struct SimulatorFaultTests {
    /// Runs lumis, checks the one-line error contract and returns its stderr.
    static func failingRun(_ arguments: [String]) throws -> String {
        let directory = try Executables.temporaryDirectory("faults")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("p.json").path
        let outcome = try Executables.run(
            try Executables.lumis(), arguments + ["--out", out, "--no-progress", "--seed", "3"])
        #expect(outcome.status != 0)
        // One line from lumis, the last; a launched simulator's own stderr lines may come before it.
        let lines = outcome.standardError.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "" && lines.dropLast().last?.hasPrefix("Error: ") == true, "\(outcome.standardError)")
        #expect(lines.filter { $0.hasPrefix("Error: ") }.count == 1, "stderr was: \(outcome.standardError)")
        #expect(!FileManager.default.fileExists(atPath: out))
        return outcome.standardError
    }

    @Test("Simulator text with NUL, escape and newline bytes is escaped, and the invalid value is named")
    func escapedAddress() throws {
        let faulty = try Executables.simulator("faulty")
        let message = try Self.failingRun([
            "infer", "--launch", "\(faulty) {endpoint} --bad-address-at 1", "--observe", "obs0=1", "--observe",
            "obs1=2", "--traces", "5",
        ])
        #expect(message.contains(#"gum\0.cpp\u{1B}[31m:9\n"#), "\(message)")
        #expect(!message.contains("\u{0}") && !message.contains("\u{1B}"))
        #expect(message.contains("Normal stddev[0] = -1.0 must be positive"))
    }

    @Test("An error on an attached simulator names its endpoint")
    func attachedEndpointNamed() throws {
        let faulty = try Executables.AttachedSimulator("faulty", options: ["--bad-address-at", "1"])
        defer { faulty.stop() }
        let endpoint = faulty.endpoint
        let message = try Self.failingRun([
            "infer", "--simulator", endpoint, "--observe", "obs0=1", "--observe", "obs1=2", "--traces", "5",
        ])
        #expect(message.contains(endpoint), "\(message)")
        #expect(message.contains("Normal stddev[0] = -1.0 must be positive"))
    }

    @Test("Bytes that are not PPX are shown in hex with what Lumis waited for; --max-failures 1 gives up at once")
    func garbageShown() throws {
        let faulty = try Executables.simulator("faulty")
        let message = try Self.failingRun([
            "infer", "--launch", "\(faulty) {endpoint} --garbage-at 1", "--observe", "obs0=1", "--observe", "obs1=2",
            "--traces", "5", "--max-failures", "1",
        ])
        #expect(message.contains("7 bytes (f7 ff ff ff 13 5a c4)"), "\(message)")
        #expect(message.contains("while Lumis waited for the first message of a run"), "\(message)")
        #expect(message.contains("1 failed attempt"), "\(message)")
    }

    @Test("--max-failures N gives up after N failures, not N + 1")
    func exactFailureLimit() throws {
        let faulty = try Executables.simulator("faulty")
        let message = try Self.failingRun([
            "infer", "--launch", "\(faulty) {endpoint} --reset-at 1 --reset-at 2 --reset-at 3", "--observe", "obs0=1",
            "--observe", "obs1=2", "--traces", "5", "--max-failures", "2",
        ])
        #expect(message.contains("2 failed attempts in a row"), "\(message)")
        #expect(message.contains("Reset"), "\(message)")
    }

    @Test("When --chains set the count, the endpoint-count error says --chains")
    func chainsWording() throws {
        let message = try Self.failingRun([
            "infer", "--engine", "rmh", "--simulator", "ipc://@lumis-nobody", "--chains", "2", "--traces", "5",
        ])
        #expect(message.contains("--chains 2 needs 2 --simulator endpoints"), "\(message)")
        #expect(!message.contains("--workers"), "\(message)")
    }

    @Test("An attached simulator that dies mid-run ends the run with one line, long before --timeout")
    func deadAttachedSimulator() throws {
        let faulty = try Executables.AttachedSimulator("faulty", options: ["--die-at", "3"])
        defer { faulty.stop() }
        let endpoint = faulty.endpoint
        let started = ContinuousClock.now
        let message = try Self.failingRun([
            "infer", "--simulator", endpoint, "--observe", "obs0=1", "--observe", "obs1=2", "--traces", "50",
            "--timeout", "120", "--max-failures", "2",
        ])
        // Without detection the first attempt alone would wait out --timeout (120 s); a loaded machine needs far
        // less than half of that.
        #expect(ContinuousClock.now - started < .seconds(60))
        #expect(message.contains(endpoint), "\(message)")
        #expect(message.contains("disconnected") || message.contains("refused"), "\(message)")
        #expect(message.contains("2 failed attempts in a row"), "\(message)")
    }
}
