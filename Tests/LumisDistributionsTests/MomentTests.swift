import LumisDistributions
import LumisTensor
import RealModule
import Testing

/// A scalar distribution with its exact mean, variance and excess kurtosis, printed by
/// `scipy.stats.<dist>(...).stats(moments='mvsk')` (scipy 1.x; Exponential as `expon(scale=1/rate)`, Gamma as
/// `gamma(a, scale=1/rate)`, LogNormal as `lognorm(scale, scale=exp(loc))`, Weibull as `weibull_min(c, scale=)`).
struct MomentCase: Sendable, CustomTestStringConvertible {
    let distribution: Distribution
    let mean: Double
    let variance: Double
    let excessKurtosis: Double

    var testDescription: String { "\(distribution.kind.name)\(distribution.parameters.map { $0.scalars[0] })" }

    static func make(
        _ kind: DistributionKind, _ parameters: [Double], _ mean: Double, _ variance: Double,
        _ excessKurtosis: Double
    ) -> MomentCase {
        MomentCase(
            distribution: Distribution(kind: kind, parameters: parameters.map { Tensor($0) }), mean: mean,
            variance: variance, excessKurtosis: excessKurtosis)
    }

    static let all: [MomentCase] = [
        make(.normal, [0, 1], 0, 1, 0),
        make(.normal, [3.5, 0.2], 3.5, 0.04000000000000001, 0),
        make(.uniform, [5, 10], 7.5, 2.083333333333333, -1.2),
        make(.uniform, [-2, -1.5], -1.75, 0.020833333333333332, -1.2),
        make(.poisson, [0.7], 0.7, 0.7, 1.4285714285714286),
        make(.poisson, [4], 4, 4, 0.25),
        make(.poisson, [37.5], 37.5, 37.5, 0.02666666666666667),
        make(.poisson, [1e4], 1e4, 1e4, 0.0001),
        make(.bernoulli, [0.2], 0.2, 0.16, 0.25),
        make(.bernoulli, [0.97], 0.97, 0.029100000000000015, 28.36426116838495),
        make(.beta, [1.2, 2.5], 0.3243243243243243, 0.04662511850550953, -0.4795496203194553),
        make(.beta, [0.5, 1], 0.3333333333333333, 0.08888888888888889, -0.8571428571428571),
        make(.beta, [0.05, 0.08], 0.38461538461538464, 0.20945698277216318, -1.6881159159429422),
        make(.beta, [40, 7], 0.851063829787234, 0.0026407122378149994, 0.33718950437317785),
        make(.exponential, [2.2], 0.45454545454545453, 0.20661157024793386, 6),
        make(.gamma, [0.5, 1.2], 0.4166666666666667, 0.34722222222222227, 12),
        make(.gamma, [7.5, 0.3], 25, 83.33333333333334, 0.8),
        make(.gamma, [0.1, 2], 0.05, 0.025, 60),
        make(.logNormal, [0.5, 0.2], 1.6820276496988864, 0.11546253671396425, 0.6783657771754372),
        make(.binomial, [10, 0.2], 2, 1.6, 0.025),
        make(.binomial, [10, 0.72], 7.2, 2.016, -0.10396825396825393),
        make(.binomial, [1000, 0.3], 300, 210, -0.0012380952380952378),
        make(.binomial, [200, 0.96], 192, 7.68, 0.10020833333333337),
        make(.weibull, [1.1, 0.5], 2.2, 24.2, 84.72),
        make(.weibull, [2, 3.5], 1.7994943530056782, 0.32429100584918924, -0.28726810556195526),
    ]
}

@Suite("Moments")
struct MomentTests {
    @Test("Analytic mean and variance match scipy", arguments: MomentCase.all)
    func analytic(_ c: MomentCase) throws {
        try c.distribution.validate()
        let mean = try #require(c.distribution.mean.scalar)
        let variance = try #require(c.distribution.variance.scalar)
        let stddev = try #require(c.distribution.stddev.scalar)
        #expect(mean.isApproximatelyEqual(to: c.mean, relativeTolerance: 1e-12))
        #expect(variance.isApproximatelyEqual(to: c.variance, relativeTolerance: 1e-12))
        #expect(stddev.isApproximatelyEqual(to: c.variance.squareRoot(), relativeTolerance: 1e-12))
        #expect(c.distribution.mean.shape == [])
    }

    /// 40,000 draws.
    ///
    /// The sample mean has standard error σ/√N; the sample variance has standard error
    /// σ²·√((κ + 2)/N) with κ the excess kurtosis (Var s² = (μ₄ − σ⁴)/N + O(N⁻²)). Both get 5 standard errors.
    @Test("Sample moments agree with the analytic ones", arguments: MomentCase.all)
    func sampled(_ c: MomentCase) {
        let count = 40_000
        var generator = Xoshiro256StarStar(seed: 20_240_601, stream: UInt64(c.distribution.kind.rawValue))
        var moments = SampleMoments()
        for _ in 0..<count { moments.add(c.distribution.sampleScalar(using: &generator)) }
        let n = Double(count)
        #expect(abs(moments.mean - c.mean) <= 5 * c.variance.squareRoot() / n.squareRoot())
        #expect(abs(moments.variance - c.variance) <= 5 * c.variance * ((c.excessKurtosis + 2) / n).squareRoot())
    }

    @Test("Draws stay in the support", arguments: MomentCase.all)
    func support(_ c: MomentCase) {
        var generator = SplitMix64(seed: 77)
        for _ in 0..<2_000 {
            let x = c.distribution.sampleScalar(using: &generator)
            #expect(c.distribution.logProbScalar(of: x) > -.infinity, "\(x)")
        }
    }

    @Test("Categorical([0.1, 0.2, 0.7]) moments: mean 1.6, stddev √0.44 (pyprob lists 0.666)")
    func categorical() throws {
        let distribution = Distribution.categorical(probs: Tensor([0.1, 0.2, 0.7]))
        let mean = try #require(distribution.mean.scalar)
        let stddev = try #require(distribution.stddev.scalar)
        #expect(mean.isApproximatelyEqual(to: 1.6, relativeTolerance: 1e-12))
        // Σk²p − mean² = 0.2 + 2.8 − 2.56 = 0.44.
        #expect(stddev.isApproximatelyEqual(to: 0.44.squareRoot(), relativeTolerance: 1e-12))
        // The reference lists 0.666 (docs/reference/pyprob-engine.md §5.1), which is not the exact √0.44 = 0.66332;
        // the exact value is checked above.
        var generator = Xoshiro256StarStar(seed: 1)
        var counts = [0, 0, 0]
        let n = 40_000
        for _ in 0..<n { counts[Int(distribution.sampleScalar(using: &generator))] += 1 }
        for (k, p) in [0.1, 0.2, 0.7].enumerated() {
            #expect(abs(Double(counts[k]) / Double(n) - p) <= 5 * (p * (1 - p) / Double(n)).squareRoot())
        }
    }

    /// pyprob's reference moments (docs/reference/pyprob-engine.md §5.1), given to 4–5 significant digits.
    @Test("pyprob reference moments")
    func pyprobReference() throws {
        let cases: [(Distribution, Double, Double)] = [
            (.binomial(totalCount: Tensor(10), probs: Tensor(0.2)), 2, 1.2649),
            (.gamma(concentration: Tensor(0.5), rate: Tensor(1.2)), 0.4167, 0.5893),
            (.logNormal(loc: Tensor(0.5), scale: Tensor(0.2)), 1.6820, 0.3398),
            (.weibull(scale: Tensor(1.1), concentration: Tensor(0.5)), 2.2, 4.9193),
        ]
        for (distribution, mean, stddev) in cases {
            let m = try #require(distribution.mean.scalar)
            let s = try #require(distribution.stddev.scalar)
            #expect(m.isApproximatelyEqual(to: mean, relativeTolerance: 1e-4), "\(distribution.kind.name)")
            #expect(s.isApproximatelyEqual(to: stddev, relativeTolerance: 1e-4), "\(distribution.kind.name)")
        }
    }
}
