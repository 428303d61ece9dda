import Foundation
import LumisCore
import LumisDistributions
import LumisInference
import LumisSimulation
import LumisTensor
import LumisTestSupport
import Testing

/// Acceptance (b)–(g): the bundled C++ simulators over ipc against exact posteriors.
///
/// Bounds come from each run's own effective sample size: 4·σ/√ESS for a mean, 4·σ/√(2·ESS) for a stddev
/// (Normal posterior), 4·√(p(1−p)/ESS) for a probability, 5·σ/√N for unweighted prior means.
@Suite("Acceptance: C++ simulators over PPX", .serialized, .timeLimit(.minutes(5)))
struct RemoteAcceptanceTests {
    /// Runs `lumis infer --launch` and returns the parsed posterior file and its bytes.
    static func infer(_ simulator: String, _ arguments: [String]) throws -> (json: [String: Any], bytes: Data) {
        let directory = try Executables.temporaryDirectory("acceptance")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("posterior.json").path
        let outcome = try Executables.run(
            try Executables.lumis(),
            ["infer", "--launch", "\(try Executables.simulator(simulator)) {endpoint}", "--out", out, "--no-progress"]
                + arguments)
        guard outcome.status == 0 else {
            throw Executables.Missing(description: "lumis failed (\(outcome.status)): \(outcome.standardError)")
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: out))
        let json = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        return (json, bytes)
    }

    static func number(_ json: [String: Any], _ path: String...) throws -> Double {
        var node: Any = json
        for key in path { node = try #require((node as? [String: Any])?[key], "missing \(path)") }
        return try #require((node as? NSNumber)?.doubleValue, "\(path) is not a number")
    }

    static func numbers(_ json: [String: Any], _ path: String...) throws -> [Double] {
        var node: Any = json
        for key in path { node = try #require((node as? [String: Any])?[key], "missing \(path)") }
        return try #require((node as? [NSNumber])?.map(\.doubleValue), "\(path) is not an array")
    }

    @Test(
        "(b) GUM: posterior mean and stddev within the ESS bounds",
        arguments: [(1.0, 2.0), (8.0, 9.0)])
    func gaussian(obs0: Double, obs1: Double) throws {
        let (json, _) = try Self.infer(
            "gum", ["--traces", "20000", "--seed", "11", "--observe", "obs0=\(obs0)", "--observe", "obs1=\(obs1)"])
        let exact = ExactPosteriors.gaussianUnknownMean(observations: [obs0, obs1])
        let ess = try Self.number(json, "ess")
        #expect(try Self.number(json, "traces") == 20_000)
        #expect(try Self.number(json, "log_evidence").isFinite)
        let mean = try Self.number(json, "variables", "mu", "mean")
        let stddev = try Self.number(json, "variables", "mu", "stddev")
        #expect(abs(mean - exact.mean) <= 4 * exact.stddev / ess.squareRoot(), "ESS \(ess)")
        #expect(abs(stddev - exact.stddev) <= 4 * exact.stddev / (2 * ess).squareRoot(), "ESS \(ess)")
        // The quantiles are present and ordered.
        let quantiles = try #require((json["variables"] as? [String: Any])?["mu"] as? [String: Any])["quantiles"]
        let levels = try #require(quantiles as? [String: NSNumber])
        #expect(levels.keys.sorted() == ["0.05", "0.25", "0.5", "0.75", "0.95"])
        let ordered = levels.keys.sorted().map { levels[$0]!.doubleValue }  // keys checked just above
        #expect(ordered == ordered.sorted())
    }

    @Test("(c) GUM by Marsaglia's rejection loop: the same posterior within the ESS bounds")
    func marsaglia() throws {
        let (json, _) = try Self.infer(
            "gum_marsaglia", ["--traces", "20000", "--seed", "12", "--observe", "obs0=8", "--observe", "obs1=9"])
        let exact = ExactPosteriors.gaussianUnknownMean(observations: [8, 9])
        let ess = try Self.number(json, "ess")
        let mean = try Self.number(json, "variables", "mu", "mean")
        let stddev = try Self.number(json, "variables", "mu", "stddev")
        #expect(abs(mean - exact.mean) <= 4 * exact.stddev / ess.squareRoot(), "ESS \(ess)")
        #expect(abs(stddev - exact.stddev) <= 4 * exact.stddev / (2 * ess).squareRoot(), "ESS \(ess)")
    }

    @Test("(d) Branching: total variation to exact enumeration within the summed ESS bounds")
    func branching() throws {
        let run = InferenceRun(
            engine: .importanceSampling,
            source: .launch(command: "\(try Executables.simulator("branching")) {endpoint}"), traceCount: 20_000,
            workers: 1, seed: 13, observations: ObservationSet(["obs": Tensor(6)]))
        let posterior = try #require(try run.run()?.posterior)
        let ess = try #require(posterior.effectiveSampleSize)
        var estimate = [Double](repeating: 0, count: 81)
        for index in 0..<posterior.traceCount {
            let r = try #require(posterior.store.value(of: .name("r"), inTrace: index)?.scalar)
            estimate[Int(r)] += posterior.normalizedWeights[index]
        }
        let exact = ExactPosteriors.branching(observation: 6)
        let distance = 0.5 * zip(estimate, exact).map { abs($0 - $1) }.reduce(0, +)
        // TV = ½ Σ|p̂ᵣ − pᵣ| ≤ ½ Σ 4·√(pᵣ(1−pᵣ)/ESS) when every category is within its own bound.
        let bound = 0.5 * exact.map { 4 * ($0 * (1 - $0) / ess).squareRoot() }.reduce(0, +)
        #expect(distance <= bound, "TV \(distance), bound \(bound), ESS \(ess)")
        for r in 0...12 {
            #expect(abs(estimate[r] - exact[r]) <= 4 * (exact[r] * (1 - exact[r]) / ess).squareRoot(), "r = \(r)")
        }
    }

    @Test("(e) HMM: every state marginal within the ESS bound of forward-backward")
    func hiddenMarkovModel() throws {
        let observations = HiddenMarkovModel.observations.enumerated().flatMap { ["--observe", "obs\($0)=\($1)"] }
        let (json, _) = try Self.infer(
            "hmm", ["--traces", "10000", "--workers", "2", "--seed", "14"] + observations)
        let ess = try Self.number(json, "ess")
        let marginals = try Self.numbers(json, "result", "mean")
        #expect(try Self.numbers(json, "result", "shape") == [17, 3])
        let exact = ExactPosteriors.hiddenMarkovModelMarginals().flatMap { $0 }
        for (cell, (estimate, p)) in zip(marginals, exact).enumerated() {
            #expect(abs(estimate - p) <= 4 * (p * (1 - p) / ess).squareRoot(), "t \(cell / 3) state \(cell % 3)")
        }
    }

    @Test("(f) Distributions: every prior mean within 5σ/√N")
    func distributions() throws {
        let traces = 10_000
        let (json, _) = try Self.infer(
            "distributions", ["--engine", "prior", "--traces", "\(traces)", "--workers", "2", "--seed", "15"])
        for (name, prior) in AllDistributions.priors {
            let mean = try Self.number(json, "variables", name, "mean")
            let sigma = try #require(prior.stddev.scalar), expected = try #require(prior.mean.scalar)
            #expect(abs(mean - expected) <= 5 * sigma / Double(traces).squareRoot(), "\(name)")
        }
    }

    @Test("(g) The same seed gives bit-identical posterior files, for 1 and 2 workers")
    func reproducible() throws {
        let arguments = ["--traces", "3000", "--seed", "16", "--observe", "obs0=8", "--observe", "obs1=9"]
        let first = try Self.infer("gum", arguments + ["--workers", "1"]).bytes
        let again = try Self.infer("gum", arguments + ["--workers", "1"]).bytes
        let twoWorkers = try Self.infer("gum", arguments + ["--workers", "2"]).bytes
        let twoAgain = try Self.infer("gum", arguments + ["--workers", "2"]).bytes
        #expect(first == again)
        #expect(twoWorkers == twoAgain)
        #expect(first == twoWorkers)
        let otherSeed = try Self.infer(
            "gum",
            [
                "--traces", "3000", "--seed", "17", "--observe", "obs0=8",
                "--observe", "obs1=9",
            ]
        ).bytes
        #expect(first != otherSeed)
    }
}
