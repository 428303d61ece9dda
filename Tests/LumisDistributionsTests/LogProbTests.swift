import LumisDistributions
import LumisTensor
import RealModule
import Testing

/// A scalar distribution, a point and the expected log density or mass there.
struct LogProbCase: Sendable, CustomTestStringConvertible {
    let distribution: Distribution
    let value: Double
    let expected: Double
    let tolerance: Double

    var testDescription: String {
        "\(distribution.kind.name)\(distribution.parameters.map { $0.scalars }) at \(value)"
    }

    init(
        _ kind: DistributionKind, _ parameters: [Double], at value: Double, _ expected: Double,
        tolerance: Double = 1e-10
    ) {
        // Categorical takes the parameters as one probs vector; other kinds as scalars.
        distribution =
            kind == .categorical
            ? .categorical(probs: Tensor(parameters))
            : Distribution(kind: kind, parameters: parameters.map { Tensor($0) })
        self.value = value
        self.expected = expected
        self.tolerance = tolerance
    }

    /// pyprob's reference log densities (docs/reference/pyprob-engine.md §5.1).
    ///
    /// They are printed there to 4–6 significant digits, hence the 1e-4 relative tolerance. Points not given
    /// there are the distribution's mean (Binomial 2, Gamma 0.5/1.2, LogNormal exp(0.52), Weibull 2.2).
    static let pyprob: [LogProbCase] = [
        LogProbCase(.normal, [0, 1], at: 0, -0.918939, tolerance: 1e-4),
        LogProbCase(.normal, [2, 3], at: 2, -2.01755, tolerance: 1e-4),
        LogProbCase(.uniform, [5, 10], at: 7.5, -1.60944, tolerance: 1e-4),
        LogProbCase(.categorical, [0.1, 0.2, 0.7], at: 0, -2.30259, tolerance: 1e-4),
        LogProbCase(.bernoulli, [0.2], at: 1, -1.6094, tolerance: 1e-4),
        LogProbCase(.binomial, [10, 0.2], at: 2, -1.1974, tolerance: 1e-4),
        LogProbCase(.gamma, [0.5, 1.2], at: 0.5 / 1.2, -0.5435, tolerance: 1e-4),
        LogProbCase(.logNormal, [0.5, 0.2], at: 1.6820276496988864, 0.1655, tolerance: 1e-4),
        LogProbCase(.weibull, [1.1, 0.5], at: 2.2, -2.5492, tolerance: 1e-4),
    ]

    /// Computed with scipy.stats `logpdf`/`logpmf` (same parameterisations as `MomentCase`).
    static let scipy: [LogProbCase] = [
        LogProbCase(.normal, [2, 3], at: -1.3, -2.6225508218727827),
        LogProbCase(.uniform, [5, 10], at: 7, -1.6094379124341003),
        LogProbCase(.uniform, [5, 10], at: 5, -1.6094379124341003),
        LogProbCase(.poisson, [4], at: 7, -2.821100833226181),
        LogProbCase(.poisson, [1e4], at: 9876, -6.28987595262879),
        LogProbCase(.poisson, [0], at: 0, 0),
        LogProbCase(.beta, [1.2, 2.5], at: 0.3, 0.4529565694224986),
        LogProbCase(.beta, [1, 3], at: 0, 1.0986122886681098),
        LogProbCase(.beta, [0.5, 1], at: 0, .infinity),
        LogProbCase(.beta, [2, 3], at: 1, -.infinity),
        LogProbCase(.exponential, [2.2], at: 0.75, -0.86154263963573),
        LogProbCase(.exponential, [2.2], at: 0, 0.7884573603642702),
        LogProbCase(.exponential, [2.2], at: -0.0, 0.7884573603642702),
        LogProbCase(.gamma, [7.5, 0.3], at: 20, -3.0919004911023116),
        LogProbCase(.gamma, [1, 2], at: 0, 0.6931471805599453),
        LogProbCase(.logNormal, [0.5, 0.2], at: 2.5, -2.3920160206987218),
        LogProbCase(.binomial, [1000, 0.3], at: 310, -3.838615331145519),
        LogProbCase(.binomial, [10, 0], at: 0, 0),
        LogProbCase(.binomial, [10, 1], at: 10, 0),
        LogProbCase(.weibull, [2, 3.5], at: 1.7, -0.41287680979251395),
        LogProbCase(.weibull, [1.1, 1], at: 0, -0.09531017980432493),
        LogProbCase(.categorical, [0.1, 0.2, 0.7], at: 2, -0.35667494393873245),
    ]

    /// Points outside the support, infinities and NaN.
    static let outside: [LogProbCase] = [
        LogProbCase(.normal, [0, 1], at: .infinity, -.infinity),
        LogProbCase(.normal, [0, 1], at: -.infinity, -.infinity),
        LogProbCase(.normal, [0, 1], at: .nan, -.infinity),
        LogProbCase(.uniform, [5, 10], at: 10, -.infinity),
        LogProbCase(.uniform, [5, 10], at: 4.999, -.infinity),
        LogProbCase(.categorical, [0.1, 0.2, 0.7], at: 3, -.infinity),
        LogProbCase(.categorical, [0.1, 0.2, 0.7], at: -1, -.infinity),
        LogProbCase(.categorical, [0.1, 0.2, 0.7], at: 0.5, -.infinity),
        LogProbCase(.poisson, [4], at: -1, -.infinity),
        LogProbCase(.poisson, [4], at: 2.5, -.infinity),
        LogProbCase(.poisson, [4], at: .infinity, -.infinity),
        LogProbCase(.poisson, [0], at: 1, -.infinity),
        LogProbCase(.bernoulli, [0.2], at: 0.5, -.infinity),
        LogProbCase(.bernoulli, [0.2], at: 2, -.infinity),
        LogProbCase(.bernoulli, [0], at: 1, -.infinity),
        LogProbCase(.beta, [2, 2], at: 1.5, -.infinity),
        LogProbCase(.beta, [2, 2], at: -0.1, -.infinity),
        LogProbCase(.exponential, [2], at: -1e-300, -.infinity),
        LogProbCase(.exponential, [2], at: .infinity, -.infinity),
        LogProbCase(.gamma, [3, 1], at: -1, -.infinity),
        LogProbCase(.gamma, [3, 1], at: .infinity, -.infinity),
        LogProbCase(.gamma, [3, 1], at: 0, -.infinity),
        LogProbCase(.logNormal, [0, 1], at: 0, -.infinity),
        LogProbCase(.logNormal, [0, 1], at: -0.0, -.infinity),
        LogProbCase(.binomial, [10, 0.3], at: 11, -.infinity),
        LogProbCase(.binomial, [10, 0.3], at: 3.5, -.infinity),
        LogProbCase(.binomial, [10, 0], at: 1, -.infinity),
        LogProbCase(.weibull, [1, 2], at: -1, -.infinity),
        LogProbCase(.weibull, [1, 2], at: .infinity, -.infinity),
    ]
}

@Suite("Log densities")
struct LogProbTests {
    @Test("pyprob reference values", arguments: LogProbCase.pyprob)
    func pyprob(_ c: LogProbCase) {
        check(c)
    }

    @Test("scipy reference values", arguments: LogProbCase.scipy)
    func scipy(_ c: LogProbCase) {
        check(c)
    }

    @Test("Outside the support, ±∞ and NaN give -infinity", arguments: LogProbCase.outside)
    func outside(_ c: LogProbCase) {
        check(c)
    }

    private func check(_ c: LogProbCase) {
        let distribution = c.distribution
        let scalar = distribution.logProbScalar(of: c.value)
        let tensor = distribution.logProb(of: Tensor(c.value))
        let vector = distribution.logProb(of: Tensor([c.value]))  // shape [1] broadcasts with []
        for result in [scalar, tensor, vector] {
            if c.expected.isInfinite {
                #expect(result == c.expected)
            } else {
                #expect(result.isApproximatelyEqual(to: c.expected, relativeTolerance: c.tolerance), "\(result)")
            }
        }
    }

    @Test("A value vector under scalar parameters sums the elementwise log densities")
    func broadcastValue() {
        let distribution = Distribution.normal(mean: Tensor(0), stddev: Tensor(1))
        let values = [-1.5, 0.0, 2.25]
        let expected = values.map { -0.5 * $0 * $0 - 0.5 * Double.log(2 * Double.pi) }.reduce(0, +)
        #expect(distribution.logProb(of: Tensor(values)).isApproximatelyEqual(to: expected, relativeTolerance: 1e-14))
        #expect(distribution.valueShapeMatches([3]))
    }

    @Test("A batched value sums per-element log densities with broadcast parameters")
    func batched() {
        let distribution = Distribution.gamma(concentration: Tensor([0.5, 7.5]), rate: Tensor(1.2))
        let value = Tensor([0.3, 4.0])
        let expected =
            Distribution.gamma(concentration: Tensor(0.5), rate: Tensor(1.2)).logProbScalar(of: 0.3)
            + Distribution.gamma(concentration: Tensor(7.5), rate: Tensor(1.2)).logProbScalar(of: 4.0)
        #expect(distribution.logProb(of: value).isApproximatelyEqual(to: expected, relativeTolerance: 1e-14))
        #expect(distribution.logProb(of: Tensor([0.3, -1])) == -.infinity)
    }

    @Test("Categorical rows within tolerance of 1 are normalised")
    func categoricalNormalised() {
        let probs = [0.1, 0.2, 0.7 + 2e-6]
        let distribution = Distribution.categorical(probs: Tensor(probs))
        let sum = probs.reduce(0, +)
        #expect(
            distribution.logProbScalar(of: 2).isApproximatelyEqual(
                to: Double.log(probs[2] / sum), relativeTolerance: 1e-14))
    }

    @Test("A wrong value shape is a programmer error")
    func wrongShape() async {
        await #expect(processExitsWith: .failure) {
            let distribution = Distribution.normal(mean: Tensor([0, 1]), stddev: Tensor(1))
            _ = distribution.logProb(of: Tensor([0, 1, 2]))
        }
        await #expect(processExitsWith: .failure) {
            let distribution = Distribution.normal(mean: Tensor([0, 1]), stddev: Tensor(1))
            _ = distribution.logProbScalar(of: 0)
        }
    }
}
