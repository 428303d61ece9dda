import Foundation
import LumisTestSupport
import Testing

/// The 10 calorimeter events of the reference posteriors (docs/calorimeter.md "Reference posteriors", written by
/// benchmarks/calorimeter-reference.sh): the committed observations are what the simulator produces for the
/// documented seeds today.
@Suite("Calorimeter reference posteriors")
struct CalorimeterReferenceTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/calorimeter-reference")
    static let seeds = Array(1...10)

    @Test("The committed observations are what calorimeter --simulate SEED --grid 4x6x6 --noise 4.0 gives")
    func observationsAreReproduced() throws {
        let simulator = try Executables.simulator("calorimeter")
        for seed in Self.seeds {
            let simulated = try Executables.run(
                simulator, ["--simulate", "\(seed)", "--grid", "4x6x6", "--noise", "4.0"])
            #expect(simulated.status == 0 && simulated.standardError.hasPrefix("truth: channel "))
            let file = Self.directory.appendingPathComponent(String(format: "event-%02d.json", seed))
            let committed = try String(contentsOf: file, encoding: .utf8)
            #expect(simulated.standardOutput == committed, "event \(seed)")
        }
    }
}
