public import LumisTensor

/// A probability distribution of one of the eleven PPX kinds, with tensor parameters.
///
/// Cases mirror the PPX `Distribution` union, parameters keep their wire names and order. Parameters are
/// broadcast elementwise; a scalar parameter broadcasts against a tensor one. A value's log density is the sum
/// of the elementwise log densities (pyprob's `log_prob(sum=True)`). The enum can hold invalid parameters
/// (it is what arrived on the wire); call ``validate()`` before sampling or scoring.
public enum Distribution: Sendable, Hashable {
    case normal(mean: Tensor, stddev: Tensor)
    case uniform(low: Tensor, high: Tensor)
    /// A categorical over `0..<probs.shape.last`; the value is the index as a `Double`.
    case categorical(probs: Tensor)
    case poisson(rate: Tensor)
    case bernoulli(probs: Tensor)
    case beta(concentration1: Tensor, concentration0: Tensor)
    case exponential(rate: Tensor)
    case gamma(concentration: Tensor, rate: Tensor)
    /// The log-normal whose logarithm is Normal(`loc`, `scale`).
    case logNormal(loc: Tensor, scale: Tensor)
    case binomial(totalCount: Tensor, probs: Tensor)
    case weibull(scale: Tensor, concentration: Tensor)
}

/// The eleven PPX distribution kinds, with their wire union tags.
public enum DistributionKind: UInt8, Sendable, CaseIterable {
    case normal = 1, uniform, categorical, poisson, bernoulli, beta, exponential, gamma, logNormal, binomial, weibull

    /// The PPX table name, for example `Normal`, `LogNormal`; also pyprob's address suffix (bar Categorical's count).
    public var name: String {
        switch self {
        case .normal: "Normal"
        case .uniform: "Uniform"
        case .categorical: "Categorical"
        case .poisson: "Poisson"
        case .bernoulli: "Bernoulli"
        case .beta: "Beta"
        case .exponential: "Exponential"
        case .gamma: "Gamma"
        case .logNormal: "LogNormal"
        case .binomial: "Binomial"
        case .weibull: "Weibull"
        }
    }

    /// The parameter names in wire (slot) order.
    public var parameterNames: [String] {
        switch self {
        case .normal: ["mean", "stddev"]
        case .uniform: ["low", "high"]
        case .categorical: ["probs"]
        case .poisson: ["rate"]
        case .bernoulli: ["probs"]
        case .beta: ["concentration1", "concentration0"]
        case .exponential: ["rate"]
        case .gamma: ["concentration", "rate"]
        case .logNormal: ["loc", "scale"]
        case .binomial: ["total_count", "probs"]
        case .weibull: ["scale", "concentration"]
        }
    }
}

extension Distribution {
    /// The wire kind of this distribution.
    public var kind: DistributionKind {
        switch self {
        case .normal: .normal
        case .uniform: .uniform
        case .categorical: .categorical
        case .poisson: .poisson
        case .bernoulli: .bernoulli
        case .beta: .beta
        case .exponential: .exponential
        case .gamma: .gamma
        case .logNormal: .logNormal
        case .binomial: .binomial
        case .weibull: .weibull
        }
    }

    /// The parameters in wire (slot) order, matching ``DistributionKind/parameterNames``.
    public var parameters: [Tensor] {
        switch self {
        case .normal(let a, let b), .uniform(let a, let b), .beta(let a, let b), .gamma(let a, let b),
            .logNormal(let a, let b), .binomial(let a, let b), .weibull(let a, let b):
            [a, b]
        case .categorical(let a), .poisson(let a), .bernoulli(let a), .exponential(let a):
            [a]
        }
    }

    /// Builds a distribution of `kind` from parameters in wire order.
    ///
    /// - Precondition: `parameters.count == kind.parameterNames.count`.
    public init(kind: DistributionKind, parameters p: [Tensor]) {
        precondition(p.count == kind.parameterNames.count, "\(kind.name) takes \(kind.parameterNames.count) parameters")
        switch kind {
        case .normal: self = .normal(mean: p[0], stddev: p[1])
        case .uniform: self = .uniform(low: p[0], high: p[1])
        case .categorical: self = .categorical(probs: p[0])
        case .poisson: self = .poisson(rate: p[0])
        case .bernoulli: self = .bernoulli(probs: p[0])
        case .beta: self = .beta(concentration1: p[0], concentration0: p[1])
        case .exponential: self = .exponential(rate: p[0])
        case .gamma: self = .gamma(concentration: p[0], rate: p[1])
        case .logNormal: self = .logNormal(loc: p[0], scale: p[1])
        case .binomial: self = .binomial(totalCount: p[0], probs: p[1])
        case .weibull: self = .weibull(scale: p[0], concentration: p[1])
        }
    }
}
