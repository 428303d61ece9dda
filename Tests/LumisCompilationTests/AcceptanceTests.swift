import Foundation
import LumisCompilation
import LumisCore
import LumisDistributions
import LumisInference
import LumisNeural
import LumisTensor
import LumisTestSupport
import Testing

/// Issue 4 items 11–13 on in-process models.
///
/// Bounds are the estimator's: 4·σ/√ESS for a posterior mean, 4·σ/√(2·ESS) for a stddev, 4·√(p(1−p)/ESS) for a
/// probability, where ESS is the run's own effective sample size; the fixed tolerances are checked too.
/// The ESS thresholds are fixed by the issue, not derived; each states the margin the seeds used here measured
/// (release build, 2026-12-06), so a change that eats into it shows before the test fails.
@Suite("Acceptance: inference compilation", .serialized)
struct AcceptanceTests {
    @Test("(11) GUM: trained on 20,000 traces, IC with 1,000 traces matches both posteriors with ESS/N ≥ 0.5")
    func gaussian() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let (trainer, report) = try Training.train(GaussianUnknownMean(), traces: 20_000, seed: 21, precision: .float32)
        defer { print("GUM: trained in \(report.seconds) s; \(clock.now - start) in all") }
        #expect(report.badLosses.isEmpty)
        for (index, observed) in [(8.0, 9.0), (0.0, 2.0)].enumerated() {
            let output = try Training.infer(
                trainer, GaussianUnknownMean(), traces: 1_000, seed: 31 + UInt64(index),
                observations: ObservationSet(["obs0": Tensor(observed.0), "obs1": Tensor(observed.1)]))
            #expect(output.summary.ic?.priorFallbackDraws == 0)
            let posterior = try #require(output.posterior)
            let ess = try #require(posterior.effectiveSampleSize)
            let exact = ExactPosteriors.gaussianUnknownMean(observations: [observed.0, observed.1])
            let (mean, stddev) = Training.moments(posterior, "mu")
            // Seeds 21 (training), 31 and 32: ESS/N measured 0.787 and 0.998, a margin of 1.57× over 0.5.
            #expect(ess / 1_000 >= 0.5, "obs \(observed): ESS \(ess)")
            print(
                "GUM obs \(observed): mean \(mean) (exact \(exact.mean)), stddev \(stddev) (\(exact.stddev)), ESS \(ess)"
            )
            #expect(abs(mean - exact.mean) <= min(0.1, 4 * exact.stddev / ess.squareRoot()), "mean \(mean), ESS \(ess)")
            #expect(abs(stddev - exact.stddev) <= 0.1, "stddev \(stddev)")
        }
    }

    @Test("(12) HMM: IC's ESS is at least 5× prior IS's, and every state marginal within its ESS bound")
    func hiddenMarkovModel() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let (trainer, report) = try Training.train(
            HiddenMarkovModel(), traces: 20_000, seed: 22, lstmHidden: 32, embedding: 4, precision: .float32)
        #expect(report.badLosses.isEmpty)
        let traces = 2_000
        let observations = HiddenMarkovModel.observationSet
        let output = try Training.infer(
            trainer, HiddenMarkovModel(), traces: traces, seed: 41, observations: observations)
        let posterior = try #require(output.posterior)
        let icESS = try #require(posterior.effectiveSampleSize)
        let prior = try Training.priorImportanceSampling(
            HiddenMarkovModel(), traces: traces, seed: 41, observations: observations)
        let priorESS = try #require(prior.effectiveSampleSize)
        // Seeds 22 and 41: IC ESS 103.2 against 5 × 9.70 = 48.5, a margin of 2.1×.
        #expect(icESS >= 5 * priorESS, "IC ESS \(icESS), prior IS ESS \(priorESS)")
        let exact = ExactPosteriors.hiddenMarkovModelMarginals()
        for t in 0...16 {
            var estimate = [0.0, 0.0, 0.0]
            for index in 0..<posterior.traceCount {
                let x = try #require(posterior.store.value(of: .name("x\(t)"), inTrace: index)?.scalar)
                estimate[Int(x)] += posterior.normalizedWeights[index]
            }
            for state in 0..<3 {
                let p = exact[t][state]
                #expect(abs(estimate[state] - p) <= 4 * (p * (1 - p) / icESS).squareRoot() + 1e-9, "x\(t) = \(state)")
            }
        }
        print("HMM: trained in \(report.seconds) s; IC ESS \(icESS), prior ESS \(priorESS); \(clock.now - start)")
    }

    @Test("Branching: IC's marginals of r within the ESS bounds, ESS not below prior IS's")
    func branching() throws {
        let (trainer, _) = try Training.train(Branching(), traces: 20_000, seed: 22, precision: .float32)
        let observations = ObservationSet(["obs": Tensor(6)])
        let traces = 2_000
        let output = try Training.infer(trainer, Branching(), traces: traces, seed: 41, observations: observations)
        let posterior = try #require(output.posterior)
        let icESS = try #require(posterior.effectiveSampleSize)
        let prior = try Training.priorImportanceSampling(
            Branching(), traces: traces, seed: 41, observations: observations)
        let priorESS = try #require(prior.effectiveSampleSize)
        // With obs = 6 the prior is already a fair proposal (ESS/N ≈ 0.5), so 5× is impossible here; item 12's
        // ratio is checked on the HMM above.
        // Seeds 22 and 41: IC ESS 1,160.5 against 1,001.2, a margin of 1.16×.
        #expect(icESS >= priorESS, "IC ESS \(icESS), prior IS ESS \(priorESS)")
        print("Branching: IC ESS \(icESS), prior IS ESS \(priorESS)")
        var estimate = [Double](repeating: 0, count: 81)
        for index in 0..<posterior.traceCount {
            let r = try #require(posterior.store.value(of: .name("r"), inTrace: index)?.scalar)
            estimate[Int(r)] += posterior.normalizedWeights[index]
        }
        let exact = ExactPosteriors.branching(observation: 6)
        for r in 0...12 {
            #expect(abs(estimate[r] - exact[r]) <= 4 * (exact[r] * (1 - exact[r]) / icESS).squareRoot(), "r = \(r)")
        }
    }

    @Test("(13) Gamma, Beta and Poisson latents: IC matches the exact posteriors")
    func conjugate() throws {
        let (trainer, report) = try Training.train(ConjugateLatents(), traces: 20_000, seed: 23, precision: .float32)
        #expect(report.badLosses.isEmpty)
        let observations = ObservationSet([
            "count0": Tensor(4), "count1": Tensor(6), "successes": Tensor(8), "reading": Tensor(4.2),
        ])
        let output = try Training.infer(
            trainer, ConjugateLatents(), traces: 2_000, seed: 51, observations: observations)
        let posterior = try #require(output.posterior)
        let ess = try #require(posterior.effectiveSampleSize)
        let prior = try Training.priorImportanceSampling(
            ConjugateLatents(), traces: 2_000, seed: 51, observations: observations)
        let priorESS = try #require(prior.effectiveSampleSize)
        // Seeds 23 and 51: IC ESS 1,122.9 against 138.2, a margin of 8.1×.
        #expect(ess > priorESS, "IC must beat the prior proposal")
        print("Conjugate: IC ESS \(ess), prior IS ESS \(priorESS)")
        let exact = ExactPosteriors.conjugateLatents(counts: [4, 6], successes: 8, reading: 4.2)
        for (name, truth) in [("rate", exact.rate), ("p", exact.p), ("n", exact.n)] {
            let (mean, stddev) = Training.moments(posterior, name)
            #expect(abs(mean - truth.mean) <= 4 * truth.stddev / ess.squareRoot(), "\(name) mean, ESS \(ess)")
            // A stddev estimate's error ≈ σ/√(2·ESS) for near-normal posteriors; 5σ allows the skewed ones.
            #expect(abs(stddev - truth.stddev) <= 5 * truth.stddev / (2 * ess).squareRoot(), "\(name) stddev")
        }
    }
}
