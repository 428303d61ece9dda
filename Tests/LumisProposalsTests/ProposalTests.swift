import LumisDistributions
import LumisProposals
import LumisTensor
import RealModule
import Testing

@Suite("Proposal families")
struct ProposalTests {
    /// Central differences with h = 1e-6 agree with the analytic gradient.
    ///
    /// At four random raw vectors and, for each, three values drawn from the proposal and two from the prior. Tolerance: 1e-6 relative to the larger of
    /// |gradient| and 1 (the rounding error of a central difference of a log density of order 1–10 is about
    /// 1e-9, so a floor is needed for components near 0). Priors located 3·10⁴ or 2·10⁶ scales from 0 are left
    /// out: there a raw step of 1e-6 moves the mean by only 10⁵ or 10³ ulps, and the difference quotient itself is
    /// off by 1e-5 to 1e-3 relative.
    @Test("Gradients match central finite differences", arguments: PriorCase.wellScaled, [1, 3])
    func gradients(_ testCase: PriorCase, components: Int) {
        let prior = testCase.prior
        let family = ProposalFamily(prior: prior, components: components)
        var generator = Xoshiro256StarStar(seed: 11)
        for _ in 0..<4 {
            let raw = randomRaw(family.rawCount, &generator)
            let proposal = family.proposal(raw, prior: prior)
            let values =
                (0..<3).map { _ in proposal.sample(using: &generator).scalars[0] }
                + (0..<2).map { _ in prior.sample(using: &generator).scalars[0] }
            for value in values {
                let (gradient, logProb) = proposal.gradient(at: value)
                #expect(logProb == proposal.logProb(of: Tensor(value)))
                guard logProb.isFinite else {
                    Issue.record("log q(\(value)) = \(logProb) for a value drawn from the proposal or prior")
                    continue
                }
                for i in 0..<family.rawCount {
                    var shifted = raw
                    let h = 1e-6
                    shifted[i] = raw[i] + h
                    let up = family.proposal(shifted, prior: prior).logProb(of: Tensor(value))
                    shifted[i] = raw[i] - h
                    let down = family.proposal(shifted, prior: prior).logProb(of: Tensor(value))
                    let difference = (up - down) / (2 * h)
                    #expect(
                        abs(difference - gradient[i]) <= 1e-6 * max(1, abs(gradient[i])),
                        "raw \(raw), value \(value), ∂/∂raw[\(i)]: analytic \(gradient[i]), numeric \(difference)")
                }
            }
        }
    }

    @Test("The gradient is accumulated, not overwritten")
    func accumulates() {
        let prior = Distribution.normal(mean: Tensor(0), stddev: Tensor(1))
        let family = ProposalFamily(prior: prior, components: 2)
        let proposal = family.proposal([0.3, -0.2, 0.1, 0.4, -0.5, 0.2], prior: prior)
        let (fresh, _) = proposal.gradient(at: 0.7)
        var gradient = [Double](repeating: 1, count: family.rawCount)
        gradient.withUnsafeMutableBufferPointer { _ = proposal.accumulateLogProbGradient(of: Tensor(0.7), into: $0) }
        for i in 0..<family.rawCount { #expect(gradient[i] == 1 + fresh[i]) }
    }

    /// The total mass is 1.
    ///
    /// Continuous: Simpson quadrature of exp(log q) over the support; discrete: the exact sum of the masses. Both have errors far below the 1e-9 tolerance.
    @Test("Proposals are normalised", arguments: PriorCase.all, [1, 3])
    func normalised(_ testCase: PriorCase, components: Int) {
        let family = ProposalFamily(prior: testCase.prior, components: components)
        var generator = Xoshiro256StarStar(seed: 12)
        for _ in 0..<3 {
            let proposal = family.proposal(randomRaw(family.rawCount, &generator), prior: testCase.prior)
            let total = testCase.expectation({ proposal.logProb(of: Tensor($0)) }, of: { _ in 1 })
            #expect(abs(total - 1) <= 1e-9, "total mass \(total)")
        }
    }

    /// The sample mean of the statistic (x, or log x / logit x for the transformed families) over N = 20,000
    /// seeded draws lies within 5σ/√N of its mean under exp(log q), σ computed by the same quadrature or sum.
    @Test("Samples follow the log probability", arguments: PriorCase.all)
    func sampling(_ testCase: PriorCase) {
        let family = ProposalFamily(prior: testCase.prior, components: 3)
        var generator = Xoshiro256StarStar(seed: 13)
        let proposal = family.proposal(randomRaw(family.rawCount, &generator), prior: testCase.prior)
        let logProb = { (x: Double) in proposal.logProb(of: Tensor(x)) }
        let mean = testCase.expectation(logProb) { testCase.statistic($0) }
        let square = testCase.expectation(logProb) { testCase.statistic($0) * testCase.statistic($0) }
        let stddev = max(square - mean * mean, 0).squareRoot()
        let count = 20_000
        var sum = 0.0
        for _ in 0..<count { sum += testCase.statistic(proposal.sample(using: &generator).scalars[0]) }
        let sampleMean = sum / Double(count)
        #expect(
            abs(sampleMean - mean) <= 5 * stddev / Double(count).squareRoot(), "\(sampleMean) vs \(mean) ± \(stddev)")
    }

    @Test("Samples stay in the support", arguments: PriorCase.all)
    func support(_ testCase: PriorCase) throws {
        let prior = testCase.prior
        let family = ProposalFamily(prior: prior, components: 4)
        var generator = Xoshiro256StarStar(seed: 14)
        for round in 0..<5 {
            // Include extreme heads: components pushed far out and made very narrow or very wide.
            let spread = round < 3 ? 1.0 : 30.0
            let raw = randomRaw(family.rawCount, &generator).map { $0 * spread }
            let proposal = family.proposal(raw, prior: prior)
            for _ in 0..<500 {
                let value = proposal.sample(using: &generator)
                #expect(value.shape == prior.valueShape)
                let x = value.scalars[0]
                #expect(proposal.logProb(of: value) > -.infinity, "\(x) has zero proposal probability")
                let p = prior.parameters.map { $0.scalars[0] }
                switch prior.kind {
                case .normal: #expect(x.isFinite)
                case .uniform: #expect(x >= p[0] && x < p[1], "\(x)")
                case .categorical: #expect(x >= 0 && x < Double(prior.parameters[0].scalarCount) && x == x.rounded())
                case .bernoulli: #expect(x == 0 || x == 1)
                case .poisson: #expect(x >= 0 && x.isFinite && x == x.rounded(), "\(x)")
                case .binomial: #expect(x >= 0 && x <= p[0] && x == x.rounded(), "\(x)")
                case .beta: #expect(x > 0 && x < 1, "\(x)")
                case .gamma, .exponential, .logNormal, .weibull: #expect(x > 0 && x.isFinite, "\(x)")
                }
                if prior.kind == .categorical || prior.kind == .bernoulli || prior.kind == .poisson
                    || prior.kind == .binomial
                {
                    #expect(prior.logProb(of: value) > -.infinity, "\(x) is outside the prior's support")
                }
            }
        }
    }

    @Test("Values outside the support have log probability −∞ and zero gradient", arguments: PriorCase.all)
    func outsideSupport(_ testCase: PriorCase) {
        let prior = testCase.prior
        let family = ProposalFamily(prior: prior, components: 2)
        var generator = Xoshiro256StarStar(seed: 15)
        let proposal = family.proposal(randomRaw(family.rawCount, &generator), prior: prior)
        let p = prior.parameters.map { $0.scalars[0] }
        var outside: [Double] = [.nan, .infinity, -.infinity]
        switch prior.kind {
        case .normal: break
        case .uniform: outside += [p[0] - 1e-9, p[1] + 1, p[0] - 100]
        case .categorical: outside += [-1, 0.5, Double(prior.parameters[0].scalarCount)]
        case .bernoulli: outside += [-1, 0.5, 2]
        case .poisson: outside += [-1, 0.5, 3.25]
        case .binomial: outside += [-1, 0.5, p[0] + 1]
        case .beta: outside += [0, 1, -0.5, 1.5]
        case .gamma, .exponential, .logNormal, .weibull: outside += [0, -0.0, -1]
        }
        if case .categorical(let probs) = prior, let zero = probs.scalars.firstIndex(of: 0) {
            outside.append(Double(zero))  // excluded by the prior, so by the proposal
        }
        for x in outside {
            let (gradient, logProb) = proposal.gradient(at: x)
            #expect(logProb == -.infinity, "log q(\(x)) = \(logProb)")
            #expect(gradient.allSatisfy { $0 == 0 }, "gradient at \(x): \(gradient)")
        }
        #expect(proposal.logProb(of: Tensor([0.5, 0.5])) == -.infinity)
    }

    /// With one component the offsets vanish, so at raw = 0 these families reproduce the prior exactly.
    @Test(
        "At raw = 0 with one component the proposal is the prior",
        arguments: PriorCase.all.filter {
            [.normal, .logNormal, .categorical, .bernoulli, .poisson, .binomial].contains($0.prior.kind)
        })
    func rawZeroIsPrior(_ testCase: PriorCase) {
        let prior = testCase.prior
        let family = ProposalFamily(prior: prior, components: 1)
        let proposal = family.proposal([Double](repeating: 0, count: family.rawCount), prior: prior)
        var generator = Xoshiro256StarStar(seed: 16)
        for _ in 0..<50 {
            let value = prior.sample(using: &generator)
            let expected = prior.logProb(of: value)
            #expect(proposal.logProb(of: value).isApproximatelyEqual(to: expected, relativeTolerance: 1e-12))
        }
    }

    /// Beta and the positive kinds: at raw = 0 with one component, the mean and variance of logit x or log x
    /// equal the prior's (both computed by quadrature: this checks the digamma/trigamma centring).
    @Test(
        "At raw = 0 with one component the transformed moments are the prior's",
        arguments: PriorCase.all.filter { [.beta, .gamma, .exponential, .weibull].contains($0.prior.kind) })
    func rawZeroMatchesMoments(_ testCase: PriorCase) {
        let prior = testCase.prior
        let family = ProposalFamily(prior: prior, components: 1)
        let proposal = family.proposal([Double](repeating: 0, count: family.rawCount), prior: prior)
        let q = { (x: Double) in proposal.logProb(of: Tensor(x)) }
        let p = { (x: Double) in prior.logProb(of: Tensor(x)) }
        let s = { (x: Double) in testCase.statistic(x) }
        let meanQ = testCase.expectation(q, of: s)
        let meanP = testCase.expectation(p, of: s)
        let varianceQ = testCase.expectation(q) { (s($0) - meanQ) * (s($0) - meanQ) }
        let varianceP = testCase.expectation(p) { (s($0) - meanP) * (s($0) - meanP) }
        #expect(abs(meanQ - meanP) <= 1e-6 * max(1, abs(meanP)), "mean \(meanQ) vs prior \(meanP)")
        #expect(varianceQ.isApproximatelyEqual(to: varianceP, relativeTolerance: 1e-6), "\(varianceQ) vs \(varianceP)")
    }

    @Test("Raw outputs follow the documented layout and counts")
    func rawCounts() {
        let k = 5
        let cases: [(Distribution, Int)] = [
            (.normal(mean: Tensor(0), stddev: Tensor(1)), 3 * k), (.uniform(low: Tensor(0), high: Tensor(1)), 3 * k),
            (.categorical(probs: Tensor([0.1, 0.2, 0.3, 0.4])), 4), (.bernoulli(probs: Tensor(0.5)), 1),
            (.poisson(rate: Tensor(3)), 2 * k), (.binomial(totalCount: Tensor(5), probs: Tensor(0.5)), 2 * k),
            (.beta(concentration1: Tensor(1), concentration0: Tensor(1)), 3 * k),
            (.gamma(concentration: Tensor(1), rate: Tensor(1)), 3 * k), (.exponential(rate: Tensor(1)), 3 * k),
            (.logNormal(loc: Tensor(0), scale: Tensor(1)), 3 * k),
            (.weibull(scale: Tensor(1), concentration: Tensor(1)), 3 * k),
        ]
        #expect(Set(cases.map(\.0.kind)).count == DistributionKind.allCases.count)
        for (prior, count) in cases {
            let family = ProposalFamily(prior: prior, components: k)
            #expect(family.rawCount == count && !family.isPriorFallback && family.matches(prior))
        }
        // Blocks m, s, c: pushing the first mixture logit up makes component 0, whose mean is m₀ + δ₀ = −3 − 1/2
        // prior stddevs, dominate.
        let prior = Distribution.normal(mean: Tensor(0), stddev: Tensor(1))
        let family = ProposalFamily(prior: prior, components: 2)
        let proposal = family.proposal([-3, 3, 0, 0, 40, 0], prior: prior)
        #expect(proposal.logProb(of: Tensor(-3.5)).isApproximatelyEqual(to: prior.logProb(of: Tensor(0))))
    }

    @Test("Tensor-valued and mismatched priors fall back to the prior")
    func priorFallback() {
        let vectorPrior = Distribution.normal(mean: Tensor([0, 1]), stddev: Tensor(1))
        let family = ProposalFamily(prior: vectorPrior, components: 3)
        #expect(family.isPriorFallback && family.rawCount == 0 && family.matches(vectorPrior))
        let proposal = family.proposal([], prior: vectorPrior)
        var generator = Xoshiro256StarStar(seed: 17)
        let value = proposal.sample(using: &generator)
        #expect(proposal.isPriorFallback && value.shape == [2])
        #expect(proposal.logProb(of: value) == vectorPrior.logProb(of: value))
        #expect(proposal.logProb(of: Tensor([1, 2, 3])) == -.infinity)
        #expect(proposal.gradient(at: 0.5).gradient.isEmpty)

        let three = ProposalFamily(prior: .categorical(probs: Tensor([0.2, 0.3, 0.5])), components: 3)
        let four = Distribution.categorical(probs: Tensor([0.25, 0.25, 0.25, 0.25]))
        #expect(!three.matches(four) && !three.matches(.normal(mean: Tensor(0), stddev: Tensor(1))))
        let mismatched = three.proposal([1, 2, 3], prior: four)
        #expect(mismatched.isPriorFallback)
        #expect(mismatched.logProb(of: Tensor(3)) == four.logProb(of: Tensor(3)))
        #expect(mismatched.gradient(at: 1).gradient == [0, 0, 0])

        // A one-element tensor of shape [1] is a scalar draw: proposed, with the prior's value shape.
        let shaped = Distribution.poisson(rate: Tensor([3]))
        let poisson = ProposalFamily(prior: shaped, components: 2)
        #expect(!poisson.isPriorFallback)
        #expect(poisson.proposal([0, 0, 0, 0], prior: shaped).sample(using: &generator).shape == [1])
    }

    /// Non-finite raw outputs never trap or hang.
    ///
    /// NaN raw outputs (a diverged network) give NaN samples or log probabilities; infinite ones give the limit
    /// or NaN. Either way the call returns: no trap, no endless rejection loop.
    @Test("Non-finite raw outputs give NaN or a limit, never a trap or a hang", arguments: PriorCase.all)
    func nonFiniteRaw(_ testCase: PriorCase) {
        let family = ProposalFamily(prior: testCase.prior, components: 2)
        var generator = Xoshiro256StarStar(seed: 18)
        for bad in [Double.nan, .infinity, -.infinity] {
            let proposal = family.proposal([Double](repeating: bad, count: family.rawCount), prior: testCase.prior)
            let x = proposal.sample(using: &generator).scalars[0]
            let logProb = proposal.logProb(of: Tensor(x))
            if bad.isNaN { #expect(x.isNaN || logProb.isNaN, "\(x), \(logProb)") }
        }
    }

    /// A head that learned a component far outside the centre of [low, high] and very narrow: the truncation's
    /// normaliser must stay accurate (log space) for log q and its gradient to be finite.
    @Test("Truncated normals far in the tails stay finite and exact")
    func truncatedTails() {
        let prior = Distribution.uniform(low: Tensor(0), high: Tensor(1))
        let family = ProposalFamily(prior: prior, components: 1)
        for raw in [[40.0, -6, 0], [-40, -6, 0], [8, -9, 0], [0, 8, 0]] {
            let proposal = family.proposal(raw, prior: prior)
            var generator = Xoshiro256StarStar(seed: 19)
            for _ in 0..<100 {
                let x = proposal.sample(using: &generator).scalars[0]
                let (gradient, logProb) = proposal.gradient(at: x)
                #expect(x >= 0 && x < 1 && logProb.isFinite && gradient.allSatisfy(\.isFinite), "\(raw): \(x)")
            }
            let total = PriorCase(prior: prior).expectation({ proposal.logProb(of: Tensor($0)) }, of: { _ in 1 })
            if raw[1] > -6 { #expect(abs(total - 1) <= 1e-9, "\(raw): \(total)") }
        }
    }

    @Test("Preconditions: components, raw count and gradient count")
    func preconditions() async {
        await #expect(processExitsWith: .failure) {
            _ = ProposalFamily(prior: .poisson(rate: Tensor(1)), components: 0)
        }
        await #expect(processExitsWith: .failure) {
            let prior = Distribution.poisson(rate: Tensor(1))
            _ = ProposalFamily(prior: prior, components: 2).proposal([0, 0, 0], prior: prior)
        }
        await #expect(processExitsWith: .failure) {
            let prior = Distribution.poisson(rate: Tensor(1))
            let proposal = ProposalFamily(prior: prior, components: 2).proposal([0, 0, 0, 0], prior: prior)
            var gradient = [0.0, 0, 0]
            gradient.withUnsafeMutableBufferPointer { _ = proposal.accumulateLogProbGradient(of: Tensor(1), into: $0) }
        }
    }
}
