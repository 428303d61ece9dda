import LumisDistributions
import LumisProposals
import LumisTensor
import RealModule
import Testing

/// A scalar prior used across the proposal tests, with what the tests need to integrate over its support.
struct PriorCase: Sendable, CustomTestStringConvertible {
    let prior: Distribution

    var testDescription: String { "\(prior.kind.name)\(prior.parameters.map { $0.scalars[0] })" }

    /// Where the values live, and how the tests integrate or sum over them.
    enum Support {
        /// ℝ, (0, 1) or (0, ∞): integrate in `y = T(x)` (identity, logit, log) over `centre ± 40·scale`.
        case transformed(Transform, centre: Double, scale: Double)
        /// The closed interval [low, high]: integrate in x.
        case interval(low: Double, high: Double)
        /// The integers `0 ... upper`: sum.
        case integers(upper: Int)
    }

    enum Transform { case identity, logit, log }

    /// The support, with an integration range wide enough for raw outputs in [−1, 1]: component centres lie
    /// within 1.5 prior scales of the prior centre and stddevs within e¹ prior scales, so ±40 scales leave more
    /// than 14 component stddevs on either side (neglected mass below 1e-40).
    var support: Support {
        let p = prior.parameters.map { $0.scalars[0] }
        switch prior.kind {
        case .normal: return .transformed(.identity, centre: p[0], scale: p[1])
        case .uniform: return .interval(low: p[0], high: p[1])
        case .categorical: return .integers(upper: prior.parameters[0].scalarCount - 1)
        case .bernoulli: return .integers(upper: 1)
        case .poisson:
            let largestRate = p[0] * Double.exp(2.0)
            return .integers(upper: Int(largestRate + 40 * largestRate.squareRoot() + 60))
        case .binomial: return .integers(upper: Int(p[0]))
        case .beta:
            let scale = (Special.trigamma(p[0]) + Special.trigamma(p[1])).squareRoot()
            return .transformed(.logit, centre: Special.digamma(p[0]) - Special.digamma(p[1]), scale: scale)
        case .gamma:
            return .transformed(
                .log, centre: Special.digamma(p[0]) - Double.log(p[1]), scale: Special.trigamma(p[0]).squareRoot())
        case .exponential:
            return .transformed(.log, centre: -Special.eulerGamma - Double.log(p[0]), scale: 1.3)
        case .logNormal: return .transformed(.log, centre: p[0], scale: p[1])
        case .weibull: return .transformed(.log, centre: Double.log(p[0]), scale: 1.3 / p[1])
        }
    }

    /// The statistic whose sample mean the sampling test checks: `T(x)` for transformed supports (light-tailed,
    /// unlike x itself under a log-normal mixture), x otherwise.
    func statistic(_ x: Double) -> Double {
        guard case .transformed(let transform, _, _) = support else { return x }
        switch transform {
        case .identity: return x
        case .logit: return Double.log(x) - Double.log(onePlus: -x)
        case .log: return Double.log(x)
        }
    }

    /// `∫ f(x) q(x) dx` (or `Σ f(x) q(x)`) where `log q = logProb`: Simpson's rule on 20,000 panels, whose error
    /// for these smooth integrands is far below 1e-10, or an exact sum.
    func expectation(_ logProb: (Double) -> Double, of f: (Double) -> Double) -> Double {
        switch support {
        case .integers(let upper):
            var sum = 0.0
            for x in 0...upper { sum += f(Double(x)) * Double.exp(logProb(Double(x))) }
            return sum
        case .interval(let low, let high):
            return simpson(low, high) { x in f(x) * Double.exp(logProb(x)) }
        case .transformed(let transform, let centre, let scale):
            return simpson(centre - 40 * scale, centre + 40 * scale) { y in
                let x: Double
                let dxdy: Double
                switch transform {
                case .identity:
                    x = y
                    dxdy = 1
                case .logit:
                    x = 1 / (1 + Double.exp(-y))
                    dxdy = x * (1 / (1 + Double.exp(y)))
                case .log:
                    x = Double.exp(y)
                    dxdy = x
                }
                let density = Double.exp(logProb(x))
                return density == 0 ? 0 : f(x) * density * dxdy
            }
        }
    }

    /// ``all`` without the priors located far (in units of their scale) from 0.
    static let wellScaled = all.filter {
        $0.prior != .normal(mean: Tensor(-300), stddev: Tensor(0.01))
            && $0.prior != .uniform(low: Tensor(1e6), high: Tensor(1e6 + 0.5))
    }

    static let all: [PriorCase] = [
        .init(prior: .normal(mean: Tensor(1.5), stddev: Tensor(2))),
        .init(prior: .normal(mean: Tensor(-300), stddev: Tensor(0.01))),
        .init(prior: .uniform(low: Tensor(-1), high: Tensor(3))),
        .init(prior: .uniform(low: Tensor(1e6), high: Tensor(1e6 + 0.5))),
        .init(prior: .categorical(probs: Tensor([0.2, 0.5, 0.3]))),
        .init(prior: .categorical(probs: Tensor([0.25, 0, 0.75]))),
        .init(prior: .categorical(probs: Tensor([1]))),
        .init(prior: .bernoulli(probs: Tensor(0.3))),
        .init(prior: .bernoulli(probs: Tensor(1))),
        .init(prior: .poisson(rate: Tensor(4.5))),
        .init(prior: .poisson(rate: Tensor(0))),
        .init(prior: .poisson(rate: Tensor(250))),
        .init(prior: .binomial(totalCount: Tensor(12), probs: Tensor(0.35))),
        .init(prior: .binomial(totalCount: Tensor(400), probs: Tensor(0.9))),
        .init(prior: .binomial(totalCount: Tensor(5), probs: Tensor(0))),
        .init(prior: .beta(concentration1: Tensor(2), concentration0: Tensor(5))),
        // Skewed towards 0, where doubles resolve logit x down to −744; towards 1 they stop at logit 36.7, so a
        // U-shaped Beta with wide raw-[−1, 1] components would put mass above that on the value nearest 1.
        .init(prior: .beta(concentration1: Tensor(0.6), concentration0: Tensor(4))),
        .init(prior: .gamma(concentration: Tensor(3), rate: Tensor(2))),
        .init(prior: .gamma(concentration: Tensor(0.7), rate: Tensor(0.1))),
        .init(prior: .exponential(rate: Tensor(1.5))),
        .init(prior: .logNormal(loc: Tensor(0.3), scale: Tensor(0.8))),
        .init(prior: .weibull(scale: Tensor(2), concentration: Tensor(1.5))),
    ]
}

/// Raw outputs uniform in [−1, 1], from a seeded generator.
func randomRaw(_ count: Int, _ generator: inout some RandomNumberGenerator) -> [Double] {
    (0..<count).map { _ in 2 * generator.nextUniform() - 1 }
}

extension ProposalFamily {
    /// The proposal for `raw` (an array, for tests).
    func proposal(_ raw: [Double], prior: Distribution) -> Proposal {
        raw.withUnsafeBufferPointer { proposal(raw: $0, prior: prior) }
    }
}

extension Proposal {
    /// The gradient of `log q(value)` with respect to the raw outputs, and `log q(value)`.
    func gradient(at value: Double) -> (gradient: [Double], logProb: Double) {
        var gradient = [Double](repeating: 0, count: family.rawCount)
        let logProb = gradient.withUnsafeMutableBufferPointer {
            accumulateLogProbGradient(of: Tensor(value), into: $0)
        }
        return (gradient, logProb)
    }
}

/// Composite Simpson's rule with 20,000 panels.
func simpson(_ a: Double, _ b: Double, _ f: (Double) -> Double) -> Double {
    let panels = 20_000
    let h = (b - a) / Double(panels)
    var sum = f(a) + f(b)
    for i in 1..<panels { sum += (i % 2 == 1 ? 4 : 2) * f(a + Double(i) * h) }
    return sum * h / 3
}
