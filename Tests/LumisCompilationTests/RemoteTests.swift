import Foundation
import LumisCompilation
import LumisNeural
import LumisTestSupport
import Testing

/// `lumis train` and `lumis infer --engine ic` end to end, over ipc with the bundled C++ `gum` simulator.
///
/// Bounds come from the run's own effective sample size: 4·σ/√ESS for the mean, 4·σ/√(2·ESS) for the stddev
/// (the posterior is Normal).
@Suite("Inference compilation over PPX", .serialized, .timeLimit(.minutes(5)))
struct RemoteTests {
    /// Runs `lumis` with `arguments` and fails with its standard error if it does not exit with 0.
    static func lumis(_ arguments: [String]) throws -> Executables.Outcome {
        let outcome = try Executables.run(try Executables.lumis(), arguments)
        guard outcome.status == 0 else {
            throw Executables.Missing(
                description: "lumis \(arguments.first ?? "") failed (\(outcome.status)): "
                    + outcome.standardError)
        }
        return outcome
    }

    static func number(_ json: [String: Any], _ path: String...) throws -> Double {
        var node: Any = json
        for key in path { node = try #require((node as? [String: Any])?[key], "missing \(path)") }
        return try #require((node as? NSNumber)?.doubleValue, "\(path) is not a number")
    }

    @Test("gum: lumis train, then lumis infer --engine ic on obs (8, 9) matches the exact posterior")
    func gaussian() throws {
        let directory = try Executables.temporaryDirectory("icnet")
        defer { try? FileManager.default.removeItem(at: directory) }
        let launch = "\(try Executables.simulator("gum")) {endpoint}"
        let network = directory.appendingPathComponent("gum.lumisnet").path
        let training = [
            "train", "--launch", launch, "--workers", "2", "--batch-size", "64", "--lstm-hidden", "32",
            "--embedding-dim", "16", "--learning-rate", "3e-3", "--validation-traces", "128", "--seed", "61",
            "--no-progress",
        ]
        _ = try Self.lumis(training + ["--traces", "12000", "--out", network])

        let posteriorPath = directory.appendingPathComponent("posterior.json").path
        let traces = 1_000
        let outcome = try Self.lumis([
            "infer", "--engine", "ic", "--network", network, "--launch", launch, "--workers", "2",
            "--traces", "\(traces)", "--seed", "62", "--observe", "obs0=8", "--observe", "obs1=9",
            "--out", posteriorPath, "--no-progress",
        ])
        #expect(!outcome.standardError.contains("never saw"), "\(outcome.standardError)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: posteriorPath))
        let json = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        let exact = ExactPosteriors.gaussianUnknownMean(observations: [8, 9])
        let ess = try Self.number(json, "ess")
        let mean = try Self.number(json, "variables", "mu", "mean")
        let stddev = try Self.number(json, "variables", "mu", "stddev")
        #expect(try Self.number(json, "traces") == Double(traces))
        // The ic section: one controlled draw (mu) per trace, all proposed by the network.
        #expect(try Self.number(json, "ic", "controlled_draws") == Double(traces))
        #expect(try Self.number(json, "ic", "prior_fallback_draws") == 0)
        #expect((json["ic"] as? [String: Any])?["prior_fallbacks"] as? [String: Int] == [:])
        // The prior proposal gives ESS/N ≈ 0.05 here (ExactPosteriors.gaussianUnknownMeanESSFraction).
        #expect(ess / Double(traces) >= 0.5, "ESS \(ess)")
        #expect(abs(mean - exact.mean) <= 4 * exact.stddev / ess.squareRoot(), "mean \(mean), ESS \(ess)")
        #expect(abs(stddev - exact.stddev) <= 4 * exact.stddev / (2 * ess).squareRoot(), "stddev \(stddev)")
    }

    @Test("lumis train --resume continues with identical optimizer state: N + N traces equal 2N in one run")
    func resume() throws {
        let directory = try Executables.temporaryDirectory("icnet-resume")
        defer { try? FileManager.default.removeItem(at: directory) }
        let launch = "\(try Executables.simulator("gum")) {endpoint}"
        let common = [
            "train", "--launch", launch, "--workers", "2", "--batch-size", "32", "--lstm-hidden", "8",
            "--embedding-dim", "4", "--validation-traces", "32", "--seed", "63", "--no-progress",
        ]
        let whole = directory.appendingPathComponent("whole.lumisnet").path
        let half = directory.appendingPathComponent("half.lumisnet").path
        let resumed = directory.appendingPathComponent("resumed.lumisnet").path
        _ = try Self.lumis(common + ["--traces", "1024", "--out", whole])
        _ = try Self.lumis(common + ["--traces", "512", "--out", half])
        _ = try Self.lumis(common + ["--traces", "512", "--resume", half, "--out", resumed])
        let wholeTrainer = try NetworkFile.read(from: whole)
        let resumedTrainer = try NetworkFile.read(from: resumed)
        #expect(resumedTrainer.state.traces == 1024)
        #expect(resumedTrainer.network.store.values == wholeTrainer.network.store.values)
        #expect(resumedTrainer.optimizer == wholeTrainer.optimizer)
        #expect(resumedTrainer.network.addresses == wholeTrainer.network.addresses)
        #expect(resumedTrainer.state.validationLoss == wholeTrainer.state.validationLoss)
        let resumedBytes = try Data(contentsOf: URL(fileURLWithPath: resumed))
        // A damaged network file is refused with a message naming it.
        var damaged = resumedBytes
        damaged[damaged.count / 2] ^= 0x10
        let damagedPath = directory.appendingPathComponent("damaged.lumisnet").path
        try damaged.write(to: URL(fileURLWithPath: damagedPath))
        let outcome = try Executables.run(
            try Executables.lumis(),
            [
                "infer", "--engine", "ic", "--network", damagedPath, "--launch", launch, "--traces", "10",
                "--observe", "obs0=8", "--observe", "obs1=9", "--no-progress",
            ])
        #expect(outcome.status != 0)
        #expect(
            outcome.standardError.contains("damaged.lumisnet") && outcome.standardError.contains("corrupt"),
            "\(outcome.standardError)")
    }
}
