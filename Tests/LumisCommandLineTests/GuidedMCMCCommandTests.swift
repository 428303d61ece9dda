import Foundation
import LumisInference
import LumisTestSupport
import Testing

/// `lumis infer --engine rmh --network` through the real binary and the bundled C++ GUM simulator.
@Suite("lumis infer --engine rmh --network", .serialized, .timeLimit(.minutes(3)))
struct GuidedMCMCCommandTests {
    static func lumis(_ arguments: [String]) throws -> Executables.Outcome {
        try Executables.run(try Executables.lumis(), arguments, environment: ["OPENBLAS_NUM_THREADS": "1"])
    }

    static func gum() throws -> String { "\(try Executables.simulator("gum")) {endpoint}" }

    @Test("RMH with network moves on gum: the exact posterior within its MCSE bounds, R-hat < 1.01")
    func guided() throws {
        let directory = try Executables.temporaryDirectory("guided")
        defer { try? FileManager.default.removeItem(at: directory) }
        let network = directory.appendingPathComponent("gum.lumisnet").path
        let training = try Self.lumis([
            "train", "--launch", try Self.gum(), "--batch-size", "32", "--lstm-hidden", "8", "--embedding-dim", "4",
            "--validation-traces", "32", "--seed", "81", "--traces", "2048", "--no-progress", "--out", network,
        ])
        #expect(training.status == 0, "\(training.standardError)")
        let out = directory.appendingPathComponent("p.json").path
        let outcome = try Self.lumis([
            "infer", "--launch", try Self.gum(), "--engine", "rmh", "--network", network,
            "--network-move-probability", "0.5", "--chains", "4", "--burn-in", "200", "--traces", "2000",
            "--observe", "obs0=8", "--observe", "obs1=9", "--seed", "82", "--out", out, "--no-progress",
        ])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let summary = try PosteriorSummary(contentsOfFile: out)
        let mu = try #require(summary.variables["mu"])
        let diagnostics = try #require(mu.diagnostics)
        let exact = ExactPosteriors.gaussianUnknownMean(observations: [8, 9])
        // 4.5 Monte Carlo standard errors (the file's MCSE of the mean, from the chains' bulk ESS).
        #expect(
            abs(mu.mean[0] - exact.mean) <= 4.5 * diagnostics.mcseMean[0], "\(mu.mean[0]) ± \(diagnostics.mcseMean[0])")
        #expect(diagnostics.rHat[0] < 1.01, "R-hat \(diagnostics.rHat[0])")
        let key = IndependenceMove.statisticsKey
        for chain in try #require(summary.chains) {
            #expect((chain.statistics.proposalsByAddress[key] ?? 0) > 500, "\(chain.statistics.proposalsByAddress)")
            #expect((chain.statistics.acceptedByAddress[key] ?? 0) > 0)
        }
    }

    @Test(
        "Bad input: one error line, exit 64",
        arguments: [
            (["--engine", "rmh", "--network-move-probability", "0.5"], "--network-move-probability applies"),
            (["--engine", "is", "--network", "/tmp/x.lumisnet"], "--network applies to --engine ic, lmh or rmh"),
            (["--engine", "rmh", "--network", "/nonexistent/x.lumisnet"], "--network"),
            (
                ["--engine", "rmh", "--network", "/tmp/x.lumisnet", "--network-move-probability", "1.5"],
                "must be above 0"
            ),
        ])
    func badInput(extra: [String], message: String) throws {
        let outcome = try Self.lumis(
            ["infer", "--launch", try Self.gum(), "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "10"]
                + extra)
        #expect(outcome.status == 64, "\(outcome.standardError)")
        let errors = outcome.standardError.split(separator: "\n").filter { $0.contains("Error: ") }
        #expect(errors.count == 1 && errors.first?.contains(message) == true, "\(outcome.standardError)")
    }
}
