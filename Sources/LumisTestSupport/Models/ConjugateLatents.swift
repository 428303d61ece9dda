public import LumisCore
import LumisDistributions
public import LumisTensor

/// A model whose latents are Gamma, Beta and Poisson, each with an exact posterior, for testing the proposal
/// families of inference compilation: `rate ~ Gamma(2, 1)` with `count0, count1 ~ Poisson(rate)`;
/// `p ~ Beta(2, 2)` with `successes ~ Binomial(10, p)`; `n ~ Poisson(3)` with `reading ~ Normal(n, 1)`.
public struct ConjugateLatents: Simulator, Sendable {
    /// The model name.
    public let modelName = "Conjugate latents"

    /// Creates the model.
    public init() {}

    /// Runs one trace.
    public mutating func run(_ execution: inout TraceExecution) throws -> Tensor? {
        let rate = try execution.sample(
            .gamma(concentration: Tensor(2), rate: Tensor(1)), address: "rate", name: "rate")
        try execution.observe(.poisson(rate: rate), address: "count0", name: "count0", value: nil)
        try execution.observe(.poisson(rate: rate), address: "count1", name: "count1", value: nil)
        let p = try execution.sample(
            .beta(concentration1: Tensor(2), concentration0: Tensor(2)), address: "p", name: "p")
        try execution.observe(
            .binomial(totalCount: Tensor(10), probs: p), address: "successes", name: "successes", value: nil)
        let n = try execution.sample(.poisson(rate: Tensor(3)), address: "n", name: "n")
        try execution.observe(.normal(mean: n, stddev: Tensor(1)), address: "reading", name: "reading", value: nil)
        return nil
    }
}
