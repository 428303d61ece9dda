import LumisDistributions
import LumisTensor
import RealModule
import Testing

@Suite("Goodness of fit of the discrete samplers")
struct GoodnessOfFitTests {
    /// Values from `scipy.stats.chi2.sf(x, df)` and `chi2.isf(1e-6, df)`.
    @Test("The chi-square survival function matches scipy")
    func survivalFunction() {
        let cases: [(Double, Int, Double)] = [
            (10, 5, 0.07523524614651217), (30, 10, 0.000856641210775301), (50, 20, 0.0002214766382487835),
            (100, 60, 0.0009168288614560842), (3, 7, 0.8850022316431506), (900, 800, 0.007774644192745909),
            (23.928126976934827, 1, 1e-6), (35.888186879672865, 5, 1e-6), (182.12677711954765, 100, 1e-6),
        ]
        for (statistic, df, expected) in cases {
            let p = chiSquareSurvival(statistic, degreesOfFreedom: df)
            #expect(p.isApproximatelyEqual(to: expected, relativeTolerance: 1e-8), "\(statistic), \(df): \(p)")
        }
    }

    /// Pearson's chi-square over cells of consecutive integers, each with expected count ≥ 5 (tails merged into
    /// the end cells).
    ///
    /// Under the null the statistic is χ² with cells − 1 degrees of freedom; we reject only at
    /// significance 1e-6, so a correct sampler fails with probability 1e-6 per case.
    @Test(
        "Poisson and Binomial draws fit their PMFs",
        arguments: [
            Distribution.poisson(rate: Tensor(0.7)), .poisson(rate: Tensor(4)), .poisson(rate: Tensor(9.99)),
            .poisson(rate: Tensor(10)), .poisson(rate: Tensor(37.5)), .poisson(rate: Tensor(1e4)),
            .binomial(totalCount: Tensor(10), probs: Tensor(0.2)),
            .binomial(totalCount: Tensor(10), probs: Tensor(0.72)),
            .binomial(totalCount: Tensor(25), probs: Tensor(0.4)),
            .binomial(totalCount: Tensor(60), probs: Tensor(0.5)),
            .binomial(totalCount: Tensor(200), probs: Tensor(0.96)),
            .binomial(totalCount: Tensor(1000), probs: Tensor(0.3)),
            .binomial(totalCount: Tensor(100_000), probs: Tensor(0.999)),
        ])
    func chiSquare(_ distribution: Distribution) {
        let count = 40_000
        let n = Double(count)
        let mean = distribution.mean.scalars[0]
        let stddev = distribution.stddev.scalars[0]
        let lower = max(0, Int((mean - 12 * stddev - 5).rounded(.down)))
        let upper = Int((mean + 12 * stddev + 5).rounded(.up))
        var masses = [Double]()
        var cellOf = [Int](repeating: 0, count: upper - lower + 1)
        var cumulative = 0.0
        var cellMass = 0.0
        for k in lower...upper {
            let mass = Double.exp(distribution.logProbScalar(of: Double(k)))
            cellMass += mass
            cumulative += mass
            cellOf[k - lower] = masses.count
            if cellMass * n >= 5 {
                masses.append(cellMass)
                cellMass = 0
            }
        }
        // Whatever mass is left (the unclosed last cell plus the tails beyond ±12σ) joins the last cell.
        masses[masses.count - 1] += cellMass + max(0, 1 - cumulative)
        for index in cellOf.indices where cellOf[index] >= masses.count { cellOf[index] = masses.count - 1 }

        var observed = [Int](repeating: 0, count: masses.count)
        var generator = Xoshiro256StarStar(seed: 31_337, stream: UInt64(mean.rounded()))
        for _ in 0..<count {
            let x = distribution.sampleScalar(using: &generator)
            let k = Int(x)
            #expect(Double(k) == x)
            observed[k < lower ? 0 : k > upper ? masses.count - 1 : cellOf[k - lower]] += 1
        }
        var statistic = 0.0
        for (o, mass) in zip(observed, masses) {
            let expected = mass * n
            statistic += (Double(o) - expected) * (Double(o) - expected) / expected
        }
        let degreesOfFreedom = masses.count - 1
        #expect(degreesOfFreedom >= 1)
        let p = chiSquareSurvival(statistic, degreesOfFreedom: degreesOfFreedom)
        #expect(p >= 1e-6, "χ² = \(statistic) with \(degreesOfFreedom) df")
    }
}
