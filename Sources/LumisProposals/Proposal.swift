public import LumisDistributions
public import LumisTensor
import RealModule

/// The proposal distribution q for one controlled draw, built by ``ProposalFamily/proposal(raw:prior:)`` from
/// the network head's raw outputs.
///
/// It samples values of the prior's shape, scores them, and gives the exact gradient of `log q(value)` with
/// respect to the raw outputs, which the network backpropagates through its head. Values outside the support
/// (and non-finite values, and values with more than one element) have log probability `-infinity` and a zero
/// gradient. Supports: Normal's is ℝ; Uniform's is the closed [low, high] (samples lie in [low, high), the prior's
/// support); Beta's is (0, 1); the positive kinds' is (0, ∞); Categorical's `0 ..< K`; Bernoulli's {0, 1};
/// Poisson's the non-negative integers; Binomial's `0 ... n`.
///
/// Doubles limit the open supports: a logit-normal draw beyond logit ±36.7 (or a log-normal one beyond log ±709)
/// is returned as the nearest representable interior value (`1 − 2⁻⁵³`, the least positive double, or the largest
/// finite one), and scored there, so a very wide Beta component loses its far-right tail mass to one point.
public struct Proposal: Sendable {
    /// The family that built this proposal.
    public let family: ProposalFamily
    /// The draw's prior (used for the value shape, and as the proposal itself when ``isPriorFallback``).
    public let prior: Distribution
    let form: Form
    /// Per-form parameters, in blocks of K (see ``Form``).
    let values: ContiguousArray<Double>

    /// The shape of the distribution in the family, with the scalars it needs; array parameters live in `values`.
    enum Form: Sendable {
        /// The prior itself.
        case prior
        /// `values`: log weights, means, stddevs of the normals over `space.transform(x)`; `scale` = ∂mean/∂m.
        case normalMixture(space: Space, scale: Double)
        /// `values`: log weights, means, stddevs, log normalisers `log(Φ(β) − Φ(α))`, ∂mean/∂m.
        case truncatedNormalMixture(low: Double, high: Double)
        /// `values`: the normalised log probabilities of the categories.
        case categorical
        /// The logit of P(x = 1).
        case bernoulli(logit: Double)
        /// `values`: log weights, log rates, rates.
        case poissonMixture
        /// `values`: log weights, log p, log(1 − p), p.
        case binomialMixture(totalCount: Double)
    }

    /// Where a mixture of normals lives: on x itself, on `logit x` or on `log x`.
    enum Space: Sendable {
        case real, unitInterval, positive

        /// The transformed value `y` and `log |dy/dx|`, or `nil` outside the support.
        @inline(__always)
        func transform(_ x: Double) -> (y: Double, logJacobian: Double)? {
            switch self {
            case .real:
                return x.isFinite ? (x, 0) : nil
            case .unitInterval:
                guard x > 0 && x < 1 else { return nil }
                let logX = Double.log(x)
                let log1mX = Double.log(onePlus: -x)
                return (logX - log1mX, -logX - log1mX)
            case .positive:
                guard x > 0 && x.isFinite else { return nil }
                let logX = Double.log(x)
                return (logX, -logX)
            }
        }

        /// The value whose transform is `y`, nudged into the open support when rounding would put it on the edge
        /// (a logit beyond about ±37 rounds to 0 or 1, a log beyond ±709 underflows or overflows).
        @inline(__always)
        func inverse(_ y: Double) -> Double {
            guard !y.isNaN else { return .nan }
            switch self {
            case .real:
                return y
            case .unitInterval:
                return min(max(Special.sigmoid(y), .leastNonzeroMagnitude), 1.0.nextDown)
            case .positive:
                return min(max(Double.exp(y), .leastNonzeroMagnitude), .greatestFiniteMagnitude)
            }
        }
    }

    init(family: ProposalFamily, prior: Distribution, form: Form = .prior, values: ContiguousArray<Double> = []) {
        self.family = family
        self.prior = prior
        self.form = form
        self.values = values
    }

    /// Whether this proposal is the prior itself (the family is a prior fallback, or the draw's prior did not
    /// fit it, or the prior-derived centre or scale was not finite); its gradient is then always zero.
    public var isPriorFallback: Bool {
        if case .prior = form { return true }
        return false
    }

    /// Draws a value, a tensor of the prior's value shape.
    ///
    /// Mixtures pick a component by its weight, then draw from it. Truncated normals use Robert's (1995)
    /// rejection samplers; Poisson and Binomial components use the samplers of ``Distribution``. Proposals built
    /// from non-finite raw outputs give NaN.
    /// - Parameter generator: the source of randomness; the draw is a pure function of its state.
    public func sample(using generator: inout some RandomNumberGenerator) -> Tensor {
        if case .prior = form { return prior.sample(using: &generator) }
        let scalars: ContiguousArray<Double> = [sampleScalar(using: &generator)]
        return Tensor(shape: prior.valueShape, scalars: scalars)
    }

    /// `log q(value)`: the log density (continuous kinds) or log mass (discrete kinds) of `value`.
    ///
    /// `-infinity` outside the support, for non-finite values, and for a value with more than one element (a
    /// prior fallback scores like the prior, `-infinity` for a value shape the prior cannot score).
    public func logProb(of value: Tensor) -> Double {
        if case .prior = form {
            return prior.valueShapeMatches(value.shape) ? prior.logProb(of: value) : -.infinity
        }
        guard value.scalarCount == 1 else { return -.infinity }
        return logProbScalar(value.scalars[0])
    }

    /// Adds `∂ log q(value) / ∂ raw` into `gradient` (one element per raw output) and returns `log q(value)`.
    ///
    /// The gradient is exact (analytic). Where `log q(value)` is not finite (outside the support) nothing is
    /// added. A prior fallback adds nothing.
    /// - Parameters:
    ///   - value: the value whose log probability is differentiated.
    ///   - gradient: ``ProposalFamily/rawCount`` elements, accumulated into (not overwritten).
    /// - Returns: `log q(value)`, as ``logProb(of:)``.
    /// - Precondition: `gradient.count == family.rawCount`.
    /// - Complexity: O(rawCount), no allocation.
    @discardableResult
    public func accumulateLogProbGradient(
        of value: Tensor, into gradient: UnsafeMutableBufferPointer<Double>
    ) -> Double {
        precondition(
            gradient.count == family.rawCount, "Gradient has \(gradient.count) elements, need \(family.rawCount)")
        if case .prior = form { return logProb(of: value) }
        guard value.scalarCount == 1 else { return -.infinity }
        return accumulateScalarGradient(value.scalars[0], into: gradient)
    }
}

// MARK: - Scalar kernels

/// `log Σₖ exp(tₖ)` accumulated one term at a time with a running maximum (terms of `-infinity` are skipped).
struct LogSumExp {
    private var largest = -Double.infinity
    private var sum = 0.0

    @inline(__always)
    mutating func add(_ t: Double) {
        guard t != -.infinity else { return }
        if t > largest {
            sum = sum * Double.exp(largest - t) + 1
            largest = t
        } else {
            sum += Double.exp(t - largest)  // also propagates NaN
        }
    }

    var value: Double { largest == -.infinity ? (sum.isNaN ? .nan : -.infinity) : largest + Double.log(sum) }
}

extension Proposal {
    private var count: Int { family.components }

    func sampleScalar(using generator: inout some RandomNumberGenerator) -> Double {
        switch form {
        case .prior:
            return prior.sampleScalar(using: &generator)
        case .normalMixture(let space, _):
            let k = pickComponent(&generator)
            let y = values[count + k] + values[2 * count + k] * generator.nextStandardNormal()
            return space.inverse(y)
        case .truncatedNormalMixture(let low, let high):
            let k = pickComponent(&generator)
            let mean = values[count + k]
            let stddev = values[2 * count + k]
            let z = Special.truncatedStandardNormal((low - mean) / stddev, (high - mean) / stddev, &generator)
            guard !z.isNaN else { return .nan }
            return min(max(mean + stddev * z, low), high.nextDown)  // [low, high), the prior's support
        case .categorical:
            var u = generator.nextUniform()
            var last = 0
            for j in values.indices {
                let p = Double.exp(values[j])
                guard p > 0 else { continue }
                if u < p { return Double(j) }
                u -= p
                last = j
            }
            return values.allSatisfy { !$0.isNaN } ? Double(last) : .nan  // rounding left u ≥ the last mass
        case .bernoulli(let logit):
            guard !logit.isNaN else { return .nan }
            return generator.nextUniform() < Special.sigmoid(logit) ? 1 : 0
        case .poissonMixture:
            let k = pickComponent(&generator)
            return Distribution.poisson(rate: Tensor(values[2 * count + k])).sampleScalar(using: &generator)
        case .binomialMixture(let totalCount):
            let k = pickComponent(&generator)
            let component = Distribution.binomial(totalCount: Tensor(totalCount), probs: Tensor(values[3 * count + k]))
            return component.sampleScalar(using: &generator)
        }
    }

    /// A component index drawn with probabilities `exp(values[0 ..< K])`.
    private func pickComponent(_ generator: inout some RandomNumberGenerator) -> Int {
        var u = generator.nextUniform()
        for k in 0..<(count - 1) {
            let weight = Double.exp(values[k])
            if u < weight { return k }
            u -= weight
        }
        return count - 1
    }

    func logProbScalar(_ x: Double) -> Double {
        switch form {
        case .prior:
            return prior.logProb(of: Tensor(x))
        case .normalMixture(let space, _):
            guard let (y, logJacobian) = space.transform(x) else { return -.infinity }
            var total = LogSumExp()
            for k in 0..<count { total.add(values[k] + normalLogDensity(y, k)) }
            return total.value + logJacobian
        case .truncatedNormalMixture(let low, let high):
            guard x >= low && x <= high else { return -.infinity }
            var total = LogSumExp()
            for k in 0..<count { total.add(values[k] + normalLogDensity(x, k) - values[3 * count + k]) }
            return total.value
        case .categorical:
            guard x >= 0 && x < Double(values.count) && x.rounded(.towardZero) == x else { return -.infinity }
            return values[Int(x)]
        case .bernoulli(let logit):
            if x == 1 { return -Special.softplus(-logit) }
            if x == 0 { return -Special.softplus(logit) }
            return -.infinity
        case .poissonMixture:
            guard x >= 0 && x.isFinite && x.rounded(.towardZero) == x else { return -.infinity }
            var total = LogSumExp()
            for k in 0..<count { total.add(values[k] + Special.times(x, values[count + k]) - values[2 * count + k]) }
            return total.value - Double.logGamma(x + 1)
        case .binomialMixture(let n):
            guard x >= 0 && x <= n && x.rounded(.towardZero) == x else { return -.infinity }
            var total = LogSumExp()
            for k in 0..<count {
                total.add(values[k] + Special.times(x, values[count + k]) + Special.times(n - x, values[2 * count + k]))
            }
            return total.value + logChoose(n, x)
        }
    }

    /// `log N(y; meanₖ, stddevₖ)` for the normal-type mixtures.
    @inline(__always)
    private func normalLogDensity(_ y: Double, _ k: Int) -> Double {
        let stddev = values[2 * count + k]
        let z = (y - values[count + k]) / stddev
        return -0.5 * z * z - Double.log(stddev) - Special.halfLogTwoPi
    }

    private func logChoose(_ n: Double, _ x: Double) -> Double {
        Double.logGamma(n + 1) - Double.logGamma(x + 1) - Double.logGamma(n - x + 1)
    }

    /// The body of ``accumulateLogProbGradient(of:into:)`` for a scalar value.
    ///
    /// Mixtures make two passes: the first finds `log q`, the second adds each component's responsibility `rₖ = wₖ·qₖ/q` times its own
    /// log-density derivatives, and `rₖ − wₖ` for its mixture logit (the derivative of `log softmax`).
    func accumulateScalarGradient(_ x: Double, into gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        let logQ = logProbScalar(x)
        guard logQ.isFinite else { return logQ }
        let count = self.count
        switch form {
        case .prior:
            break
        case .normalMixture(let space, let scale):
            // The Jacobian term does not depend on the raw outputs; responsibilities use the mixture in y.
            guard let (y, logJacobian) = space.transform(x) else { return logQ }
            let logMixture = logQ - logJacobian
            for k in 0..<count {
                let stddev = values[2 * count + k]
                let z = (y - values[count + k]) / stddev
                let logWeight = values[k]
                let responsibility = Double.exp(logWeight + normalLogDensity(y, k) - logMixture)
                gradient[k] += responsibility * z / stddev * scale
                gradient[count + k] += responsibility * (z * z - 1)
                gradient[2 * count + k] += responsibility - Double.exp(logWeight)
            }
        case .truncatedNormalMixture(let low, let high):
            for k in 0..<count {
                let mean = values[count + k]
                let stddev = values[2 * count + k]
                let logZ = values[3 * count + k]
                let z = (x - mean) / stddev
                let alpha = (low - mean) / stddev
                let beta = (high - mean) / stddev
                // φ(α)/Z and φ(β)/Z in log space: Z can be tiny when the component is far from [low, high].
                let densityAlpha = Double.exp(Special.logStandardNormalDensity(alpha) - logZ)
                let densityBeta = Double.exp(Special.logStandardNormalDensity(beta) - logZ)
                let logWeight = values[k]
                let responsibility = Double.exp(logWeight + normalLogDensity(x, k) - logZ - logQ)
                let dMean = z / stddev + (densityBeta - densityAlpha) / stddev
                gradient[k] += responsibility * dMean * values[4 * count + k]
                gradient[count + k] += responsibility * (z * z - 1 + beta * densityBeta - alpha * densityAlpha)
                gradient[2 * count + k] += responsibility - Double.exp(logWeight)
            }
        case .categorical:
            let j = Int(x)
            for i in values.indices { gradient[i] -= Double.exp(values[i]) }
            gradient[j] += 1
        case .bernoulli(let logit):
            gradient[0] += x == 1 ? Special.sigmoid(-logit) : -Special.sigmoid(logit)
        case .poissonMixture:
            let logMixture = logQ + Double.logGamma(x + 1)
            for k in 0..<count {
                let logWeight = values[k]
                let rate = values[2 * count + k]
                let responsibility = Double.exp(logWeight + Special.times(x, values[count + k]) - rate - logMixture)
                gradient[k] += responsibility * (x - rate)
                gradient[count + k] += responsibility - Double.exp(logWeight)
            }
        case .binomialMixture(let n):
            let logMixture = logQ - logChoose(n, x)
            for k in 0..<count {
                let logWeight = values[k]
                let logComponent = Special.times(x, values[count + k]) + Special.times(n - x, values[2 * count + k])
                let responsibility = Double.exp(logWeight + logComponent - logMixture)
                gradient[k] += responsibility * (x - n * values[3 * count + k])
                gradient[count + k] += responsibility - Double.exp(logWeight)
            }
        }
        return logQ
    }
}
