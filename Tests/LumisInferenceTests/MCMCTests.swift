import Foundation
import LumisCore
import LumisDistributions
import LumisInference
import LumisTensor
import LumisTestSupport
import Testing

/// Acceptance tests of the LMH and RMH engines (issue 3 items 8-13) against exact posteriors.
///
/// Tolerances: the fixed bounds where it gives them (GUM ±0.1, Branching TV 0.05, HMM 0.1), and each
/// test also checks that its chains are long enough for the bound to be at least 4 Monte Carlo standard errors
/// (MCSE = σ/√ESS, ESS from the chains' autocorrelations). R-hat is a plain split-R-hat computed here, because
/// the diagnostics module (branch `diag`) is not merged yet.
@Suite("MCMC: LMH and RMH", .serialized, .timeLimit(.minutes(3)))
struct MCMCTests {
    static func run(
        _ model: some Simulator & Sendable, kernel: MetropolisHastings.Kernel, chains: Int = 4, steps: Int,
        burnIn: Int = 1_000, thin: Int = 1, seed: UInt64, observations: ObservationSet,
        initialStates: [ChainState?]? = nil, traceSizeCorrection: Bool = true
    ) throws -> MCMCOutput {
        var configuration = MetropolisHastings.Configuration(
            kernel: kernel, steps: steps, burnIn: burnIn, thin: thin, seed: seed, observations: observations,
            initialStates: initialStates)
        configuration.includesTraceSizeCorrection = traceSizeCorrection
        return try MetropolisHastings(configuration: configuration).run(chains: chains) { _ in model }
    }

    /// Each chain's scalar draws of `selector`.
    static func draws(_ output: MCMCOutput, _ selector: VariableSelector) throws -> [[Double]] {
        try output.chainSet.chains.map { store in
            try (0..<store.count).map { index in try #require(store.value(of: selector, inTrace: index)?.scalar) }
        }
    }

    static let gumObservations = ObservationSet(["obs0": Tensor(8), "obs1": Tensor(9)])

    @Test(
        "(8) GUM obs (8, 9), 4 chains: mean 7.25 ± 0.1, stddev 0.913 ± 0.1, split R-hat < 1.01",
        arguments: [("lmh", 130_000), ("rmh", 15_000)])
    func gaussian(engine: String, steps: Int) throws {
        let kernel: MetropolisHastings.Kernel = engine == "lmh" ? .lightweight : .randomWalk(stepSize: 1)
        let output = try Self.run(
            GaussianUnknownMean(), kernel: kernel, steps: steps, seed: 21, observations: Self.gumObservations)
        let chains = try Self.draws(output, .name("mu"))
        let exact = ExactPosteriors.gaussianUnknownMean(observations: [8, 9])
        let pooled = chains.flatMap { $0 }
        let (mean, stddev) = ChainDiagnostics.meanAndStddev(pooled)
        let ess = ChainDiagnostics.effectiveSampleSize(chains)
        // The bounds must be at least 4 MCSE wide, else the chains are too short to test anything.
        #expect(4 * exact.stddev / ess.squareRoot() < 0.1, "ESS \(ess)")
        #expect(4 * exact.stddev / (2 * ess).squareRoot() < 0.1, "ESS \(ess)")
        #expect(abs(mean - 7.25) <= 0.1, "mean \(mean), ESS \(ess)")
        #expect(abs(stddev - 0.913) <= 0.1, "stddev \(stddev), ESS \(ess)")
        let rHat = ChainDiagnostics.splitRHat(chains)
        #expect(rHat < 1.01, "R-hat \(rHat)")
        for statistics in output.chainSet.statistics {
            #expect(statistics.proposals == steps + 1_000)
            #expect(statistics.controlledSamples == statistics.proposals)
            #expect(statistics.reusedSamples == 0)  // one controlled sample: it is always the site
        }
    }

    @Test("(9) Branching obs 6, LMH: posterior over r within 0.05 total variation of enumeration")
    func branching() throws {
        let output = try Self.run(
            Branching(), kernel: .lightweight, steps: 25_000, seed: 22,
            observations: ObservationSet(["obs": Tensor(6)]))
        let chains = try Self.draws(output, .name("r"))
        let pooled = chains.flatMap { $0 }
        var estimate = [Double](repeating: 0, count: 81)
        for r in pooled { estimate[Int(r)] += 1 / Double(pooled.count) }
        let exact = ExactPosteriors.branching(observation: 6)
        let distance = 0.5 * zip(estimate, exact).map { abs($0 - $1) }.reduce(0, +)
        // 4 MCSE of every category probability, summed as the TV would be, must fit in 0.05.
        let ess = ChainDiagnostics.effectiveSampleSize(chains.map { $0.map { $0 > 4 ? 1 : 0 } })
        let bound = 0.5 * exact.map { 4 * ($0 * (1 - $0) / ess).squareRoot() }.reduce(0, +)
        #expect(bound < 0.05, "ESS \(ess)")
        #expect(distance <= 0.05, "TV \(distance)")
        // Both sites are proposed and reused.
        let statistics = output.chainSet.statistics[0]
        #expect(statistics.reusedSamples > 0 && (statistics.acceptanceRate ?? 0) > 0.05)
    }

    @Test(
        "(10) HMM: LMH and RMH state marginals within 0.1 of forward-backward",
        arguments: [("lmh", 40_000), ("rmh", 12_000)])
    func hiddenMarkovModel(engine: String, steps: Int) throws {
        let kernel: MetropolisHastings.Kernel = engine == "lmh" ? .lightweight : .randomWalk(stepSize: 1)
        let output = try Self.run(
            HiddenMarkovModel(), kernel: kernel, steps: steps, thin: steps / 3_000, seed: 23,
            observations: HiddenMarkovModel.observationSet)
        let exact = ExactPosteriors.hiddenMarkovModelMarginals()
        var worst = 0.0
        for t in 0...16 {
            let chains = try Self.draws(output, .name("x\(t)"))
            for state in 0..<3 {
                let indicator = chains.map { $0.map { $0 == Double(state) ? 1.0 : 0 } }
                let p = indicator.flatMap { $0 }.reduce(0, +) / Double(indicator.flatMap { $0 }.count)
                worst = max(worst, abs(p - exact[t][state]))
                // A state the chains never (or always) visit has no autocorrelation to measure; its estimate is
                // still compared below.
                if indicator.contains(where: { Set($0).count > 1 }) {
                    let ess = ChainDiagnostics.effectiveSampleSize(indicator)
                    let sd = (exact[t][state] * (1 - exact[t][state])).squareRoot()
                    #expect(4 * sd / ess.squareRoot() < 0.1, "x\(t) state \(state): ESS \(ess)")
                }
                #expect(abs(p - exact[t][state]) <= 0.1, "x\(t) state \(state): \(p) vs \(exact[t][state])")
            }
        }
        #expect(worst < 0.1)
    }

    /// Checks LMH on the Marsaglia model against the exact posterior: mu ~ N(7.25, 0.913), and the number of
    /// controlled draws 2K with K ~ Geometric(π/4) (the likelihood depends only on the accepted pair, which is
    /// independent of K).
    ///
    /// Returns the failed checks.
    ///
    /// Observations (1, 2) rather than (8, 9): with (8, 9) the likelihood pins the accepted pair so tightly that
    /// the trace length hardly ever changes (ESS ≈ 40 in 240,000 proposals), and no test could see its law.
    static func marsagliaFailures(traceSizeCorrection: Bool) throws -> [String] {
        let output = try run(
            MarsagliaGaussianUnknownMean(), kernel: .lightweight, steps: 25_000, seed: 24,
            observations: ObservationSet(["obs0": Tensor(1), "obs1": Tensor(2)]),
            traceSizeCorrection: traceSizeCorrection)
        let lengths = output.chainSet.chains.map { store in
            (0..<store.count).map { index in
                Double(store.storedTrace(at: index).entries.count { $0.site.kind == .sample })
            }
        }
        let mu = try draws(output, .name("mu"))
        let exact = ExactPosteriors.gaussianUnknownMean(observations: [1, 2])
        let p = Double.pi / 4
        let lengthMean = 2 / p, lengthStddev = 2 * (1 - p).squareRoot() / p
        var failures: [String] = []
        for (label, chains, mean, stddev) in [
            ("mu", mu, exact.mean, exact.stddev), ("controlled length", lengths, lengthMean, lengthStddev),
        ] {
            let (estimate, sd) = ChainDiagnostics.meanAndStddev(chains.flatMap { $0 })
            let ess = ChainDiagnostics.effectiveSampleSize(chains)
            let tolerance = 5 * stddev / ess.squareRoot()
            if abs(estimate - mean) > tolerance {
                failures.append("\(label) mean \(estimate) vs \(mean) ± \(tolerance)")
            }
            // Stddev of a sample stddev ≈ σ/√(2·ESS) for a Normal; the length is skewed, so allow 2x that.
            let sdTolerance = 10 * stddev / (2 * ess).squareRoot()
            if abs(sd - stddev) > sdTolerance {
                failures.append("\(label) stddev \(sd) vs \(stddev) ± \(sdTolerance)")
            }
        }
        return failures
    }

    @Test("(11) Marsaglia (random number of controlled draws): LMH matches; without |C(x)|/|C(x')| it does not")
    func marsaglia() throws {
        let correct = try Self.marsagliaFailures(traceSizeCorrection: true)
        #expect(correct.isEmpty, "\(correct)")
        let wrong = try Self.marsagliaFailures(traceSizeCorrection: false)
        #expect(!wrong.isEmpty, "the check did not detect the missing trace-size correction")
    }

    @Test("(12) Resume: 10 runs of 200 steps chained through saved states = one run of 2,000")
    func resume() throws {
        let model = MarsagliaGaussianUnknownMean()
        let single = try Self.run(
            model, kernel: .randomWalk(stepSize: 1), chains: 2, steps: 2_000, burnIn: 0, seed: 25,
            observations: Self.gumObservations)
        var states: [ChainState?]? = nil
        var pieces: [MCMCOutput] = []
        for _ in 0..<10 {
            let output = try Self.run(
                model, kernel: .randomWalk(stepSize: 1), chains: 2, steps: 200, burnIn: 0, seed: 25,
                observations: Self.gumObservations, initialStates: states)
            pieces.append(output)
            // Through the posterior file's text, as `lumis infer --resume` reads it.
            let section = MCMCSummary(
                chains: 2, steps: 200, burnIn: 0, thin: 1, stepSize: 1, isComplete: true, note: nil,
                chainStates: output.finalStates)
            var summary = output.pooledPosterior.summary(
                metadata: PosteriorMetadata(engine: "rmh", seed: 25, model: ""))
            summary.mcmc = section
            let reread = try PosteriorSummary(jsonText: Array(summary.jsonText().utf8), path: "resume.json")
            #expect(reread.mcmc == section)
            states = reread.mcmc?.chainStates
        }
        for chain in 0..<2 {
            let whole = try Self.draws(single, .name("mu"))[chain]
            let chained = try pieces.flatMap { try Self.draws($0, .name("mu"))[chain] }
            #expect(chained == whole)
        }
        #expect(single.finalStates == states)
        #expect(pieces.allSatisfy { $0.notes.isEmpty })
        // Hence the same posterior; checked against the MCSE as the issue asks.
        let whole = try Self.draws(single, .name("mu")), chained = try pieces.map { try Self.draws($0, .name("mu")) }
        let wholeMean = ChainDiagnostics.meanAndStddev(whole.flatMap { $0 }).mean
        let chainedMean = ChainDiagnostics.meanAndStddev(chained.flatMap { $0.flatMap { $0 } }).mean
        let mcse = 0.913 / ChainDiagnostics.effectiveSampleSize(whole).squareRoot()
        #expect(abs(wholeMean - chainedMean) <= 4 * mcse)
    }

    @Test("RMH kernels: every prior kind keeps its prior invariant (Distributions-like model)")
    func kernelsKeepPriorInvariant() throws {
        // With no observations the posterior is the prior; each kernel's Hastings term must preserve it.
        let output = try Self.run(
            AllDistributions(), kernel: .randomWalk(stepSize: 1), chains: 2, steps: 40_000, burnIn: 500, seed: 26,
            observations: ObservationSet())
        for (name, prior) in AllDistributions.priors {
            let chains = try Self.draws(output, .name(name))
            let (mean, _) = ChainDiagnostics.meanAndStddev(chains.flatMap { $0 })
            let ess = ChainDiagnostics.effectiveSampleSize(chains)
            let sigma = try #require(prior.stddev.scalar), expected = try #require(prior.mean.scalar)
            #expect(abs(mean - expected) <= 5 * sigma / ess.squareRoot(), "\(name): \(mean) vs \(expected), ESS \(ess)")
        }
        let statistics = output.chainSet.statistics[0]
        #expect((statistics.acceptanceRate ?? 0) > 0.3)
    }
}

/// Plain estimators for the tests: mean and stddev, autocorrelation ESS and split-R-hat (Gelman et al., BDA3
/// §11.4).
///
/// The diagnostics module will replace these with the rank-normalised versions.
enum ChainDiagnostics {
    static func meanAndStddev(_ values: [Double]) -> (mean: Double, stddev: Double) {
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return (mean, variance.squareRoot())
    }

    /// Σ over chains of N / τ, τ = 1 + 2 Σ ρ_k summed over Geyer's initial positive sequence of pairs.
    static func effectiveSampleSize(_ chains: [[Double]]) -> Double {
        var total = 0.0
        for chain in chains {
            let n = chain.count
            let (mean, sd) = meanAndStddev(chain)
            guard sd > 0 else { continue }
            func rho(_ lag: Int) -> Double {
                var sum = 0.0
                for i in 0..<(n - lag) { sum += (chain[i] - mean) * (chain[i + lag] - mean) }
                return sum / Double(n) / (sd * sd)
            }
            var tau = -1.0
            var lag = 0
            while lag + 1 < n {
                let pair = rho(lag) + rho(lag + 1)
                if pair <= 0 { break }
                tau += 2 * pair
                lag += 2
            }
            total += Double(n) / max(tau, 1 / Double(n))
        }
        return total
    }

    static func splitRHat(_ chains: [[Double]]) -> Double {
        let halves = chains.flatMap { chain -> [[Double]] in
            let half = chain.count / 2
            return [Array(chain[0..<half]), Array(chain[(chain.count - half)...])]
        }
        let n = Double(halves[0].count), m = Double(halves.count)
        let means = halves.map { $0.reduce(0, +) / n }
        let grand = means.reduce(0, +) / m
        let between = n / (m - 1) * means.reduce(0) { $0 + ($1 - grand) * ($1 - grand) }
        let within =
            zip(halves, means).map { half, mean in
                half.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
            }.reduce(0, +) / m
        return (((n - 1) / n * within + between / n) / within).squareRoot()
    }
}
