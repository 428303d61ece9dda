public import LumisTensor
import RealModule

extension Distribution {
    /// The analytic mean of each element, a tensor of ``valueShape``.
    ///
    /// Categorical: `Σ k·p_k` over each (normalised) row, as pyprob. Weibull: `scale · Γ(1 + 1/concentration)`;
    /// LogNormal: `exp(loc + scale²/2)`.
    /// - Precondition: the parameter shapes broadcast; parameters should be valid (see ``validate()``).
    public var mean: Tensor {
        map { a, b in
            switch kind {
            case .normal: a
            case .uniform: 0.5 * a + 0.5 * b
            case .categorical: preconditionFailure("handled by categoricalMoments")
            case .poisson: a
            case .bernoulli: a
            case .beta: a / (a + b)
            case .exponential: 1 / a
            case .gamma: a / b
            case .logNormal: Double.exp(a + 0.5 * b * b)
            case .binomial: a * b
            case .weibull: a * Double.gamma(1 + 1 / b)
            }
        } categorical: { mean, _ in
            mean
        }
    }

    /// The analytic variance of each element, a tensor of ``valueShape``.
    ///
    /// Categorical: `Σ k²·p_k − (Σ k·p_k)²`; LogNormal: `(exp(scale²) − 1) · exp(2·loc + scale²)`; Weibull:
    /// `scale² · (Γ(1 + 2/k) − Γ(1 + 1/k)²)`.
    /// - Precondition: the parameter shapes broadcast; parameters should be valid (see ``validate()``).
    public var variance: Tensor {
        map { a, b in
            switch kind {
            case .normal: b * b
            case .uniform: (b - a) * (b - a) / 12
            case .categorical: preconditionFailure("handled by categoricalMoments")
            case .poisson: a
            case .bernoulli: a * (1 - a)
            case .beta: a * b / ((a + b) * (a + b) * (a + b + 1))
            case .exponential: 1 / (a * a)
            case .gamma: a / (b * b)
            case .logNormal: Double.expMinusOne(b * b) * Double.exp(2 * a + b * b)
            case .binomial: a * b * (1 - b)
            case .weibull: a * a * (Double.gamma(1 + 2 / b) - Double.pow(Double.gamma(1 + 1 / b), 2))
            }
        } categorical: { _, variance in
            variance
        }
    }

    /// The analytic standard deviation of each element, `sqrt(variance)`, a tensor of ``valueShape``.
    ///
    /// - Precondition: the parameter shapes broadcast; parameters should be valid (see ``validate()``).
    public var stddev: Tensor {
        var result = variance
        for index in result.scalars.indices { result.scalars[index] = result.scalars[index].squareRoot() }
        return result
    }

    /// Applies `moment` to the broadcast parameter pairs (single-parameter kinds pass their parameter twice), or
    /// `categorical` to each row's (mean, variance).
    private func map(
        _ moment: (Double, Double) -> Double, categorical: (Double, Double) -> Double
    ) -> Tensor {
        let shape = valueShape
        switch self {
        case .categorical(let probs):
            let width = probs.shape.last ?? 1
            return .broadcasting(shape: shape, shape) { offsets in
                let start = offsets.0 * width
                var sum = 0.0
                var first = 0.0
                var second = 0.0
                for k in 0..<width {
                    let p = probs.scalars[start + k]
                    sum += p
                    first += Double(k) * p
                    second += Double(k * k) * p
                }
                let mean = first / sum
                return categorical(mean, max(second / sum - mean * mean, 0))
            }
        case .poisson(let a), .bernoulli(let a), .exponential(let a):
            return .broadcasting(shape: shape, a.shape) { moment(a.scalars[$0.0], a.scalars[$0.0]) }
        case .normal(let a, let b), .uniform(let a, let b), .beta(let a, let b), .gamma(let a, let b),
            .logNormal(let a, let b), .binomial(let a, let b), .weibull(let a, let b):
            return .broadcasting(shape: shape, a.shape, b.shape) { moment(a.scalars[$0.0], b.scalars[$0.1]) }
        }
    }
}
