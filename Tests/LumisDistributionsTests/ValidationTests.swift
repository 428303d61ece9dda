import LumisDistributions
import LumisTensor
import Testing

/// A distribution with one bad parameter element and the error it must raise.
struct InvalidCase: Sendable, CustomTestStringConvertible {
    let distribution: Distribution
    let expected: DistributionError
    var testDescription: String { expected.description }

    static func bad(
        _ kind: DistributionKind, _ parameters: [Tensor], _ parameter: Int, index: Int = 0, value: Double,
        _ requirement: DistributionError.Requirement
    ) -> InvalidCase {
        InvalidCase(
            distribution: Distribution(kind: kind, parameters: parameters),
            expected: .invalidParameter(
                kind, parameter: kind.parameterNames[parameter], index: index, value: value, requirement: requirement))
    }

    static let all: [InvalidCase] = [
        bad(.normal, [Tensor(0), Tensor(-1)], 1, value: -1, .positive),
        bad(.normal, [Tensor(0), Tensor([1, 0])], 1, index: 1, value: 0, .positive),
        bad(.normal, [Tensor(.infinity), Tensor(1)], 0, value: .infinity, .finite),
        bad(.normal, [Tensor(0), Tensor(-.infinity)], 1, value: -.infinity, .finite),
        bad(.uniform, [Tensor(5), Tensor(5)], 0, value: 5, .lessThanHigh(5)),
        bad(.uniform, [Tensor([1, 6]), Tensor(5)], 0, index: 1, value: 6, .lessThanHigh(5)),
        bad(.categorical, [Tensor([0.5, -0.1, 0.6])], 0, index: 1, value: -0.1, .nonNegative),
        bad(.poisson, [Tensor(-0.5)], 0, value: -0.5, .nonNegative),
        bad(.bernoulli, [Tensor(1.5)], 0, value: 1.5, .unitInterval),
        bad(.bernoulli, [Tensor(-0.1)], 0, value: -0.1, .unitInterval),
        bad(.beta, [Tensor(0), Tensor(1)], 0, value: 0, .positive),
        bad(.beta, [Tensor(1), Tensor(-2)], 1, value: -2, .positive),
        bad(.exponential, [Tensor(0)], 0, value: 0, .positive),
        bad(.gamma, [Tensor(-1), Tensor(1)], 0, value: -1, .positive),
        bad(.gamma, [Tensor(1), Tensor(0)], 1, value: 0, .positive),
        bad(.logNormal, [Tensor(0), Tensor(0)], 1, value: 0, .positive),
        bad(.binomial, [Tensor(2.5), Tensor(0.5)], 0, value: 2.5, .nonNegativeInteger),
        bad(.binomial, [Tensor(-1), Tensor(0.5)], 0, value: -1, .nonNegativeInteger),
        bad(.binomial, [Tensor(3), Tensor(1.01)], 1, value: 1.01, .unitInterval),
        bad(.weibull, [Tensor(0), Tensor(1)], 0, value: 0, .positive),
        bad(.weibull, [Tensor(1), Tensor(-1)], 1, value: -1, .positive),
    ]
}

@Suite("Validation")
struct ValidationTests {
    @Test("Each parameter rule raises its error", arguments: InvalidCase.all)
    func invalidParameter(_ c: InvalidCase) {
        #expect(throws: c.expected) { try c.distribution.validate() }
    }

    @Test(
        "Valid parameters pass, including boundary values",
        arguments: [
            Distribution.poisson(rate: Tensor(0)), .bernoulli(probs: Tensor([0, 1])),
            .binomial(totalCount: Tensor(0), probs: Tensor(1)), .categorical(probs: Tensor([0, 1])),
            .categorical(probs: Tensor(shape: [2, 2], scalars: [0.5, 0.5, 0.25, 0.75])),
            .categorical(probs: Tensor(1)), .uniform(low: Tensor(-1e300), high: Tensor(1e300)),
            .categorical(probs: Tensor([1, 1, 1])), .categorical(probs: Tensor([0, .leastNonzeroMagnitude])),
            .normal(mean: Tensor(shape: [3, 1], scalars: [0, 1, 2]), stddev: Tensor([1, 2])),
            .binomial(totalCount: Tensor([10, 20]), probs: Tensor(shape: [2, 1], scalars: [0.1, 0.9])),
        ])
    func valid(_ distribution: Distribution) throws {
        try distribution.validate()
    }

    @Test("NaN parameters are rejected as non-finite")
    func nanParameter() {
        do {
            try Distribution.normal(mean: Tensor([0, .nan]), stddev: Tensor(1)).validate()
            Issue.record("expected an error")
        } catch {
            guard case .invalidParameter(.normal, "mean", 1, let value, .finite) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(value.isNaN)
            #expect(error.description == "Normal mean[1] = nan must be finite")
        }
    }

    @Test("Empty parameters, incompatible shapes and unnormalisable probs rows are rejected")
    func structural() {
        #expect(throws: DistributionError.emptyParameter(.poisson, parameter: "rate")) {
            try Distribution.poisson(rate: Tensor([])).validate()
        }
        #expect(throws: DistributionError.incompatibleShapes(.gamma, parameterShapes: [[2], [3]])) {
            try Distribution.gamma(concentration: Tensor([1, 2]), rate: Tensor([1, 2, 3])).validate()
        }
        // torch normalises each row by its sum; an all-zero row (0/0) or an overflowing sum cannot be normalised.
        #expect(throws: DistributionError.probsRowSum(.categorical, row: 1, sum: 0)) {
            try Distribution.categorical(probs: Tensor(shape: [2, 2], scalars: [0.5, 0.5, 0, 0])).validate()
        }
        #expect(throws: DistributionError.probsRowSum(.categorical, row: 0, sum: .infinity)) {
            try Distribution.categorical(probs: Tensor([1e308, 1e308])).validate()
        }
        #expect(
            throws: DistributionError.invalidParameter(
                .categorical, parameter: "probs", index: 2, value: .infinity, requirement: .finite)
        ) {
            try Distribution.categorical(probs: Tensor([1, 1, .infinity])).validate()
        }
        #expect(
            DistributionError.probsRowSum(.categorical, row: 1, sum: 0).description
                == "Categorical probs row 1 sums to 0.0; a row needs a positive, finite sum to be normalised")
    }

    @Test("Categorical rows that do not sum to 1 are accepted and normalised as torch does")
    func categoricalNormalisation() throws {
        let pyprobHMM = Distribution.categorical(probs: Tensor([1, 1, 1]))
        try pyprobHMM.validate()
        guard case .categorical(let probs) = pyprobHMM.normalized() else {
            Issue.record("normalized() changed the kind")
            return
        }
        #expect(probs.shape == [3])
        #expect(probs.scalars.allSatisfy { abs($0 - 1.0 / 3) < 1e-15 })
        let rows = Distribution.categorical(probs: Tensor(shape: [2, 3], scalars: [2, 0, 6, 0.1, 0.5, 0.4]))
        try rows.validate()
        guard case .categorical(let normalised) = rows.normalized() else { return }
        #expect(Array(normalised.scalars) == [0.25, 0, 0.75, 0.1, 0.5, 0.4])
        // Unnormalised rows mean the same as normalised ones: same log density, same mean.
        let scaled = Distribution.categorical(probs: Tensor([0.2, 1.0, 0.8]))
        let unit = Distribution.categorical(probs: Tensor([0.1, 0.5, 0.4]))
        for k in 0..<3 {
            #expect(
                abs(scaled.normalized().logProb(of: Tensor(Double(k))) - unit.logProb(of: Tensor(Double(k)))) < 1e-12)
        }
        #expect(abs(scaled.normalized().mean.scalars[0] - 1.3) < 1e-12)
        // Other kinds are untouched.
        let normal = Distribution.normal(mean: Tensor(0), stddev: Tensor(2))
        #expect(normal.normalized() == normal)
    }

    @Test("Descriptions name the kind, the wire parameter name, the index and the value")
    func descriptions() {
        let error = DistributionError.invalidParameter(
            .normal, parameter: "stddev", index: 0, value: -1.0, requirement: .positive)
        #expect(error.description == "Normal stddev[0] = -1.0 must be positive")
        #expect(
            DistributionError.invalidParameter(
                .binomial, parameter: "total_count", index: 2, value: 2.5, requirement: .nonNegativeInteger
            ).description == "Binomial total_count[2] = 2.5 must be a non-negative integer")
        #expect(
            DistributionError.incompatibleShapes(.gamma, parameterShapes: [[2], [3]]).description
                == "Gamma parameter shapes concentration [2], rate [3] do not broadcast")
    }

    @Test("Observed values: empty, NaN and non-broadcasting shapes are rejected; infinities pass")
    func values() throws {
        let distribution = Distribution.normal(mean: Tensor([0, 1]), stddev: Tensor(1))
        #expect(throws: DistributionError.emptyValue(.normal)) { try distribution.validateValue(Tensor([])) }
        #expect(throws: DistributionError.valueShapeMismatch(.normal, valueShape: [3], expected: [2])) {
            try distribution.validateValue(Tensor([1, 2, 3]))
        }
        #expect(throws: DistributionError.nanValue(.normal, index: 1)) {
            try distribution.validateValue(Tensor([1, .nan]))
        }
        try distribution.validateValue(Tensor([.infinity, 0]))
        try distribution.validateValue(Tensor(0.5))
        try distribution.validateValue(Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6]))
        #expect(!distribution.valueShapeMatches([3]))
    }
}
