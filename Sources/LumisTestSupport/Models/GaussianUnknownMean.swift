import Foundation
public import LumisCore
import LumisDistributions
public import LumisTensor

/// The reference "Gaussian with unknown mean" model (pyprob, docs/reference/pyprob-engine.md §6.1), in process:
/// `mu ~ Normal(1, √5)`, `obs0, obs1 ~ Normal(mu, √2)`; returns `mu`.
public struct GaussianUnknownMean: Simulator, Sendable {
    /// The model name, as the bundled C++ simulator reports it.
    public let modelName = "Gaussian with unknown mean"
    /// Prior mean and stddev of `mu`, and the likelihood stddev.
    public static let priorMean = 1.0, priorStddev = 5.0.squareRoot(), likelihoodStddev = 2.0.squareRoot()

    /// Creates the model.
    public init() {}

    /// Runs one trace.
    public mutating func run(_ execution: inout TraceExecution) throws -> Tensor? {
        let mu = try execution.sample(
            .normal(mean: Tensor(Self.priorMean), stddev: Tensor(Self.priorStddev)), address: "mu", name: "mu")
        let likelihood = Distribution.normal(mean: mu, stddev: Tensor(Self.likelihoodStddev))
        try execution.observe(likelihood, address: "obs0", name: "obs0", value: nil)
        try execution.observe(likelihood, address: "obs1", name: "obs1", value: nil)
        return mu
    }
}

/// The same model with `mu` drawn by Marsaglia's polar method: a rejection loop of `Uniform(-1, 1)` pairs, so
/// traces have random length.
///
/// `mu` is tagged under its name.
public struct MarsagliaGaussianUnknownMean: Simulator, Sendable {
    /// The model name.
    public let modelName = "Gaussian with unknown mean (Marsaglia)"

    /// Creates the model.
    public init() {}

    /// Runs one trace.
    public mutating func run(_ execution: inout TraceExecution) throws -> Tensor? {
        let unit = Distribution.uniform(low: Tensor(-1), high: Tensor(1))
        var x = 0.0, s = 0.0
        repeat {
            x = try execution.sample(unit, address: "x", name: "x").scalars[0]
            let y = try execution.sample(unit, address: "y", name: "y").scalars[0]
            s = x * x + y * y
        } while s >= 1 || s == 0
        let mu = Tensor(
            GaussianUnknownMean.priorMean + GaussianUnknownMean.priorStddev * x * (-2 * log(s) / s).squareRoot())
        execution.tag(mu, address: "mu", name: "mu")
        let likelihood = Distribution.normal(mean: mu, stddev: Tensor(GaussianUnknownMean.likelihoodStddev))
        try execution.observe(likelihood, address: "obs0", name: "obs0", value: nil)
        try execution.observe(likelihood, address: "obs1", name: "obs1", value: nil)
        return mu
    }
}
