import Foundation
import LumisCompilation
import LumisNeural
import LumisTestSupport
import Testing

/// benchmarks/soak.sh at a small size: crashes and preemption change nothing but the restart counters.
///
/// kill -9s of launched simulators leave the posterior file unchanged, and SIGTERMed, resumed training ends with
/// the parameters of an uninterrupted run. The 100,000-trace run is the script's default (docs/operations.md).
@Suite("soak", .serialized, .timeLimit(.minutes(4)))
struct SoakTests {
    @Test("Crashes during inference and SIGTERMs during training change nothing but the restart counters")
    func soak() throws {
        let keep = try Executables.temporaryDirectory("soak")
        defer { try? FileManager.default.removeItem(at: keep) }
        let script = Executables.repositoryRoot.appendingPathComponent("benchmarks/soak.sh").path
        let outcome = try Executables.run(
            "/bin/bash",
            [script, "--traces", "4000", "--train-traces", "6000", "--no-build"],
            environment: ["LUMIS_BIN": try Executables.lumis(), "SOAK_KEEP": keep.path])
        #expect(outcome.status == 0, "\(outcome.standardOutput)\(outcome.standardError)")
        let lines = outcome.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.last == "soak: ok", "\(outcome.standardOutput)")
        // The loop must actually have disturbed both runs for the comparison to mean anything.
        let kills = lines.first { $0.hasPrefix("soak: ") && $0.contains(" kills;") }
            .flatMap { Int($0.dropFirst("soak: ".count).prefix { $0.isNumber }) }
        #expect((kills ?? 0) >= 1, "\(outcome.standardOutput)")
        let terms = lines.first { $0.contains("runs ended by SIGTERM") }
            .flatMap { Int($0.dropFirst("soak: ".count).prefix { $0.isNumber }) }
        #expect((terms ?? 0) >= 1, "\(outcome.standardOutput)")

        let whole = try NetworkFile.read(from: keep.appendingPathComponent("whole.lumisnet").path)
        let resumed = try NetworkFile.read(from: keep.appendingPathComponent("part.lumisnet").path)
        #expect(resumed.state.traces == whole.state.traces)
        #expect(resumed.network.store.values == whole.network.store.values)
        #expect(resumed.optimizer == whole.optimizer)
        #expect(resumed.network.addresses == whole.network.addresses)
    }
}
