import Foundation
import LumisDistributions
import LumisTensor

/// The local kernels of random-walk Metropolis–Hastings: `k(y | x)` around a site's current value `x`, chosen by
/// the site's prior (docs/mcmc.md, "RMH kernels").
///
/// Every element of a tensor value moves independently; the kernel's log density is the sum over elements and
/// is a density with respect to the same base measure as the prior (Lebesgue or counting), so the RMH mixture
/// `½ k + ½ p` is well defined. With step size `s`:
///
/// | prior | kernel |
/// | --- | --- |
/// | Normal(μ, σ) | Normal(x, s·σ) |
/// | Uniform(a, b) | Normal(x, s·0.1·(b − a)) truncated to [a, b] |
/// | Exponential, Gamma, LogNormal, Weibull | `log y ~ Normal(log x, τ)`, Jacobian `1/y` (τ below) |
/// | Beta | `logit y ~ Normal(logit x, τ)`, τ = s·min(1, sd/(m(1 − m))); Jacobian `1/(y(1 − y))` |
/// | Poisson, Binomial | `y = x ± 1`, each with probability ½ (a step outside the support is rejected) |
/// | Categorical (K ≥ 2) | uniform over the other K − 1 categories |
/// | Bernoulli | `y = 1 − x` |
///
/// For the log walks τ = s·scale (LogNormal) or s·min(1, sd/mean) of the prior.
///
/// A kernel exists only where the current value is a valid centre (inside the open support for the log and logit
/// walks, inside [a, b] for Uniform, an integer in the support for discrete kinds); otherwise the site is
/// proposed from its prior alone, in both directions of the Hastings ratio alike.
struct RandomWalkKernel {
    /// The prior at the site.
    let distribution: Distribution
    /// The step scale `s`.
    let stepSize: Double
    private let elementCount: Int
    private let first: ContiguousArray<Double>
    private let second: ContiguousArray<Double>
    private let scales: ContiguousArray<Double>

    /// The kernel for `distribution` (already validated), with step scale `stepSize`.
    init(distribution: Distribution, stepSize: Double) {
        self.distribution = distribution
        self.stepSize = stepSize
        let shape = distribution.valueShape
        elementCount = Tensor.elementCount(of: shape) ?? 0
        let parameters = distribution.parameters
        if case .categorical(let probs) = distribution {
            first = probs.scalars
            second = []
        } else {
            first = broadcast(parameters[0], to: shape)
            second = parameters.count > 1 ? broadcast(parameters[1], to: shape) : []
        }
        var scales = ContiguousArray<Double>(repeating: 0, count: distribution.kind == .categorical ? 0 : elementCount)
        switch distribution.kind {
        case .normal:
            for e in 0..<elementCount { scales[e] = stepSize * second[e] }
        case .uniform:
            for e in 0..<elementCount { scales[e] = stepSize * 0.1 * (second[e] - first[e]) }
        case .logNormal:
            for e in 0..<elementCount { scales[e] = stepSize * second[e] }
        case .exponential, .gamma, .weibull:
            let mean = distribution.mean.scalars, sd = distribution.stddev.scalars
            for e in 0..<elementCount { scales[e] = stepSize * min(1, sd[e] / mean[e]) }
        case .beta:
            let mean = distribution.mean.scalars, sd = distribution.stddev.scalars
            for e in 0..<elementCount { scales[e] = stepSize * min(1, sd[e] / (mean[e] * (1 - mean[e]))) }
        case .categorical, .poisson, .bernoulli, .binomial:
            break
        }
        self.scales = scales
    }

    /// Whether `x` is a valid centre for the kernel (see the type's description).
    func hasKernel(at x: Tensor) -> Bool {
        guard x.shape == distribution.valueShape, x.scalarCount == elementCount else { return false }
        for e in 0..<elementCount {
            let value = x.scalars[e]
            guard value.isFinite else { return false }
            switch distribution.kind {
            case .normal:
                break
            case .uniform:
                guard value >= first[e] && value <= second[e] else { return false }
            case .exponential, .gamma, .logNormal, .weibull:
                guard value > 0 else { return false }
            case .beta:
                guard value > 0 && value < 1 else { return false }
            case .poisson:
                guard value >= 0 && value.rounded() == value else { return false }
            case .binomial:
                guard value >= 0 && value <= first[e] && value.rounded() == value else { return false }
            case .bernoulli:
                guard value == 0 || value == 1 else { return false }
            case .categorical:
                let width = categoryCount
                guard width >= 2, value >= 0, value < Double(width), value.rounded() == value else { return false }
            }
        }
        return true
    }

    private var categoryCount: Int {
        guard case .categorical(let probs) = distribution else { return 0 }
        return probs.shape.last ?? 1
    }

    /// Draws `y ~ k(· | x)`.
    ///
    /// - Precondition: `hasKernel(at: x)`.
    func sample(around x: Tensor, using generator: inout Xoshiro256StarStar) -> Tensor {
        var y = x
        for e in 0..<elementCount {
            let value = x.scalars[e]
            switch distribution.kind {
            case .normal:
                y.scalars[e] = value + scales[e] * generator.nextStandardNormal()
            case .uniform:
                // Rejection from the untruncated normal: exact, and from a centre inside [a, b] at least
                // min(½, 0.4·(b − a)/σ) of the draws land inside.
                var candidate: Double
                repeat {
                    candidate = value + scales[e] * generator.nextStandardNormal()
                } while !(candidate >= first[e] && candidate < second[e])
                y.scalars[e] = candidate
            case .exponential, .gamma, .logNormal, .weibull:
                y.scalars[e] = value * Foundation.exp(scales[e] * generator.nextStandardNormal())
            case .beta:
                let logit =
                    Foundation.log(value) - Foundation.log1p(-value) + scales[e] * generator.nextStandardNormal()
                y.scalars[e] = 1 / (1 + Foundation.exp(-logit))
            case .poisson, .binomial:
                y.scalars[e] = value + (generator.next() & 1 == 0 ? 1 : -1)
            case .bernoulli:
                y.scalars[e] = 1 - value
            case .categorical:
                // Uniform over the other categories: shift by 1...K−1.
                let width = categoryCount
                let shift = Int.random(in: 1...(width - 1), using: &generator)
                y.scalars[e] = Double((Int(value) + shift) % width)
            }
        }
        return y
    }

    /// `log k(y | x)`, or `-infinity` where `y` cannot be reached from `x`.
    ///
    /// - Precondition: `hasKernel(at: x)`.
    func logDensity(of y: Tensor, around x: Tensor) -> Double {
        guard y.shape == x.shape else { return -.infinity }
        var total = 0.0
        for e in 0..<elementCount {
            let from = x.scalars[e], to = y.scalars[e]
            guard to.isFinite else { return -.infinity }
            switch distribution.kind {
            case .normal:
                total += normalLogDensity(to, mean: from, stddev: scales[e])
            case .uniform:
                guard to >= first[e] && to < second[e] else { return -.infinity }
                let sd = scales[e]
                let mass = normalCDF((second[e] - from) / sd) - normalCDF((first[e] - from) / sd)
                total += normalLogDensity(to, mean: from, stddev: sd) - Foundation.log(mass)
            case .exponential, .gamma, .logNormal, .weibull:
                guard to > 0 else { return -.infinity }
                let logTo = Foundation.log(to)
                total += normalLogDensity(logTo, mean: Foundation.log(from), stddev: scales[e]) - logTo
            case .beta:
                guard to > 0 && to < 1 else { return -.infinity }
                let logitFrom = Foundation.log(from) - Foundation.log1p(-from)
                let logitTo = Foundation.log(to) - Foundation.log1p(-to)
                total +=
                    normalLogDensity(logitTo, mean: logitFrom, stddev: scales[e])
                    - Foundation.log(to) - Foundation.log1p(-to)
            case .poisson, .binomial:
                guard abs(to - from) == 1 else { return -.infinity }
                total -= Foundation.log(2.0)
            case .bernoulli:
                guard to == 1 - from else { return -.infinity }
            case .categorical:
                guard to != from, to >= 0, to < Double(categoryCount), to.rounded() == to else { return -.infinity }
                total -= Foundation.log(Double(categoryCount - 1))
            }
        }
        return total
    }
}

/// The elements of `tensor` broadcast (numpy rules) to `shape`, in row-major order.
///
/// - Precondition: `tensor.shape` broadcasts to `shape`.
func broadcast(_ tensor: Tensor, to shape: [Int]) -> ContiguousArray<Double> {
    let count = Tensor.elementCount(of: shape) ?? 0
    if tensor.scalarCount == count { return tensor.scalars }
    if tensor.scalarCount == 1 { return ContiguousArray(repeating: tensor.scalars[0], count: count) }
    let rank = shape.count
    let own = [Int](repeating: 1, count: rank - tensor.shape.count) + tensor.shape
    precondition(own.count == rank, "shape \(tensor.shape) does not broadcast to \(shape)")
    // Row-major strides of the operand, 0 along broadcast axes.
    var strides = [Int](repeating: 0, count: rank)
    var step = 1
    for axis in (0..<rank).reversed() {
        precondition(own[axis] == shape[axis] || own[axis] == 1, "shape \(tensor.shape) does not broadcast to \(shape)")
        strides[axis] = own[axis] == 1 ? 0 : step
        step *= own[axis]
    }
    var result = ContiguousArray<Double>()
    result.reserveCapacity(count)
    var counter = [Int](repeating: 0, count: rank)
    var offset = 0
    for _ in 0..<count {
        result.append(tensor.scalars[offset])
        var axis = rank - 1
        while axis >= 0 {
            counter[axis] += 1
            offset += strides[axis]
            if counter[axis] < shape[axis] { break }
            offset -= strides[axis] * counter[axis]
            counter[axis] = 0
            axis -= 1
        }
    }
    return result
}

/// `log N(x; mean, stddev)`.
func normalLogDensity(_ x: Double, mean: Double, stddev: Double) -> Double {
    let z = (x - mean) / stddev
    return -0.5 * z * z - Foundation.log(stddev) - 0.5 * Foundation.log(2 * Double.pi)
}

/// The standard normal CDF Φ(z) = ½ erfc(−z/√2).
func normalCDF(_ z: Double) -> Double {
    0.5 * Foundation.erfc(-z / 2.0.squareRoot())
}
