import LumisDistributions
import LumisProposals
import RealModule
import Testing

@Suite("Special functions")
struct SpecialTests {
    /// Closed forms: ψ(1) = −γ, ψ(1/2) = −γ − 2 log 2, ψ(1/4) = −γ − π/2 − 3 log 2; ψ′(1) = π²/6,
    /// ψ′(1/2) = π²/2, ψ′(1/4) = π² + 8G (G Catalan's constant); the recurrences tie other points to them.
    @Test("Digamma and trigamma match closed forms and recurrences")
    func polygamma() {
        let gamma = Special.eulerGamma
        let catalan = 0.915_965_594_177_219_015_05
        let pi = Double.pi
        let log2 = Double.log(2.0)
        #expect(Special.digamma(1).isApproximatelyEqual(to: -gamma, relativeTolerance: 1e-14))
        #expect(Special.digamma(0.5).isApproximatelyEqual(to: -gamma - 2 * log2, relativeTolerance: 1e-14))
        #expect(Special.digamma(0.25).isApproximatelyEqual(to: -gamma - pi / 2 - 3 * log2, relativeTolerance: 1e-14))
        #expect(Special.trigamma(1).isApproximatelyEqual(to: pi * pi / 6, relativeTolerance: 1e-14))
        #expect(Special.trigamma(0.5).isApproximatelyEqual(to: pi * pi / 2, relativeTolerance: 1e-14))
        #expect(Special.trigamma(0.25).isApproximatelyEqual(to: pi * pi + 8 * catalan, relativeTolerance: 1e-14))
        // Differences of nearby values cancel: allow a few ulps of the values themselves.
        for x in [1e-3, 0.7, 3.3, 9.9, 10.0, 17.5, 1e4] {
            let digammaStep = Special.digamma(x + 1) - Special.digamma(x)
            #expect(abs(digammaStep - 1 / x) <= 1e-15 * max(1 / x, abs(Special.digamma(x))) * 8, "\(x)")
            let trigammaStep = Special.trigamma(x) - Special.trigamma(x + 1)
            #expect(abs(trigammaStep - 1 / (x * x)) <= 1e-15 * Special.trigamma(x) * 8, "\(x)")
        }
        #expect(Special.digamma(1e6).isApproximatelyEqual(to: Double.log(1e6) - 0.5e-6, relativeTolerance: 1e-14))
        #expect(Special.digamma(0).isNaN && Special.trigamma(-1).isNaN)
    }

    /// Upper-tail probabilities Q(t) from `scipy.stats.norm.sf`.
    @Test("Normal tail and interval probabilities are accurate far out")
    func normalTails() {
        let tails: [(Double, Double)] = [
            (1, 0.15865525393145707), (5, 2.866515718791939e-07), (10, 7.619853024160527e-24),
            (-2, 0.9772498680518208),
        ]
        for (t, q) in tails {
            #expect(Special.logUpperTail(t).isApproximatelyEqual(to: Double.log(q), relativeTolerance: 1e-13))
        }
        // The erfc branch and the asymptotic series agree where they meet.
        let below = Special.logUpperTail(30.0.nextDown)
        let above = Special.logUpperTail(30)
        #expect(abs(below - above) <= 1e-10 * abs(above))
        #expect(Special.logUpperTail(60).isFinite)

        let inside = Special.logNormalIntervalProbability(-1, 1)
        #expect(inside.isApproximatelyEqual(to: Double.log(0.6826894921370859), relativeTolerance: 1e-14))
        let q5minusq6 = 2.866515718791939e-07 - 9.865876450376946e-10
        #expect(
            Special.logNormalIntervalProbability(5, 6).isApproximatelyEqual(
                to: Double.log(q5minusq6), relativeTolerance: 1e-12))
        #expect(
            Special.logNormalIntervalProbability(-6, -5).isApproximatelyEqual(
                to: Double.log(q5minusq6), relativeTolerance: 1e-12))
        // 40 standard deviations out, where Φ differences are 0 in Double: Q(40) ≈ φ(40)/40·(1 − 1/1600 + …).
        let far = Special.logNormalIntervalProbability(40, 41)
        let mills = Special.logStandardNormalDensity(40) - Double.log(40.0) + Double.log(onePlus: -1.0 / 1600)
        #expect(abs(far - mills) <= 1e-5)
    }

    /// Each interval exercises one branch of Robert's sampler; the sample mean is within 5σ/√N of the exact
    /// truncated-normal mean `(φ(α) − φ(β)) / Z`.
    @Test(
        "Truncated standard normal draws have the exact mean",
        arguments: [(-0.5, 0.7), (-3.0, 4.0), (0.5, 0.8), (2.0, 10.0), (-10.0, -2.0), (40.0, 41.0), (0.0, 50.0)])
    func truncatedNormal(_ interval: (Double, Double)) {
        let (alpha, beta) = interval
        let logZ = Special.logNormalIntervalProbability(alpha, beta)
        let phiA = Double.exp(Special.logStandardNormalDensity(alpha) - logZ)
        let phiB = Double.exp(Special.logStandardNormalDensity(beta) - logZ)
        let mean = phiA - phiB
        let variance = 1 + alpha * phiA - beta * phiB - mean * mean
        var generator = Xoshiro256StarStar(seed: 21)
        let count = 20_000
        var sum = 0.0
        for _ in 0..<count {
            let z = Special.truncatedStandardNormal(alpha, beta, &generator)
            #expect(z >= alpha && z <= beta)
            sum += z
        }
        #expect(abs(sum / Double(count) - mean) <= 5 * (variance / Double(count)).squareRoot(), "\(sum / 20000)")
        #expect(Special.truncatedStandardNormal(1, 1, &generator).isNaN)
        #expect(Special.truncatedStandardNormal(.nan, 1, &generator).isNaN)
    }
}
