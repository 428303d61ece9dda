import Foundation
import LumisTestSupport
import Testing

/// Posterior files stay byte-identical for the same seed: the files in Fixtures/ were written by `lumis` built
/// from main at 06fc6dc (before the outputs and inference-run work) with the arguments below.
@Suite("posterior files equal those of earlier builds", .serialized, .timeLimit(.minutes(2)))
struct PosteriorCompatibilityTests {
    static let observations = ["--observe", "obs0=8", "--observe", "obs1=9"]

    static let runs: [(fixture: String, arguments: [String])] = [
        ("is-seed81.json", ["--traces", "300", "--workers", "2", "--seed", "81"] + observations),
        (
            "rmh-seed82.json",
            ["--engine", "rmh", "--chains", "2", "--burn-in", "50", "--traces", "100", "--seed", "82"] + observations
        ),
        ("prior-seed83.json", ["--engine", "prior", "--traces", "200", "--seed", "83"]),
    ]

    @Test("is, rmh and prior posterior files equal the committed ones byte for byte", arguments: 0..<3)
    func sameBytes(run index: Int) throws {
        let (fixture, arguments) = Self.runs[index]
        let directory = try Executables.temporaryDirectory("compat")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent(fixture).path
        let launch = "\(try Executables.simulator("gum")) {endpoint}"
        let outcome = try Executables.run(
            try Executables.lumis(), ["infer", "--launch", launch, "--out", out, "--no-progress"] + arguments)
        try #require(outcome.status == 0, "\(outcome.standardError)")
        let expected = Executables.repositoryRoot.appendingPathComponent(
            "Tests/LumisCommandLineTests/Fixtures/\(fixture)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: expected), "\(fixture)")
    }
}
