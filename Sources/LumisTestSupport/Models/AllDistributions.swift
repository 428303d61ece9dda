public import LumisCore
public import LumisDistributions
public import LumisTensor

/// One named draw from each of the eleven PPX kinds, with the parameters of the bundled `distributions`
/// simulator (pyprob, docs/reference/pyprob-engine.md §6.4); no observations, so any engine must reproduce these
/// priors.
public struct AllDistributions: Simulator, Sendable {
    /// The model name.
    public let modelName = "Distributions"
    /// The named priors, in execution order.
    public static let priors: [(name: String, distribution: Distribution)] = [
        ("normal", .normal(mean: Tensor(1.75), stddev: Tensor(0.5))),
        ("uniform", .uniform(low: Tensor(1.2), high: Tensor(2.5))),
        ("categorical", .categorical(probs: Tensor([0.1, 0.5, 0.4]))),
        ("poisson", .poisson(rate: Tensor(4))),
        ("bernoulli", .bernoulli(probs: Tensor(0.2))),
        ("beta", .beta(concentration1: Tensor(1.2), concentration0: Tensor(2.5))),
        ("exponential", .exponential(rate: Tensor(2.2))),
        ("gamma", .gamma(concentration: Tensor(0.5), rate: Tensor(1.2))),
        ("log_normal", .logNormal(loc: Tensor(0.5), scale: Tensor(0.2))),
        ("binomial", .binomial(totalCount: Tensor(10), probs: Tensor(0.72))),
        ("weibull", .weibull(scale: Tensor(1.1), concentration: Tensor(0.6))),
    ]

    /// Creates the model.
    public init() {}

    /// Runs one trace.
    public mutating func run(_ execution: inout TraceExecution) throws -> Tensor? {
        for (name, prior) in Self.priors { _ = try execution.sample(prior, address: name, name: name) }
        return Tensor(0)
    }
}
