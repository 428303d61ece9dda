public import LumisCore
import LumisDistributions
public import LumisTensor

/// The reference branching model (pyprob, docs/reference/pyprob-engine.md §6.1): `r ~ Poisson(4)`; if `r > 4` then `l =
/// 6`, else
/// `s ~ Poisson(4)` and `l = 1 + fib(3r) + s`; observe `obs ~ Poisson(l)`; returns `r`.
public struct Branching: Simulator, Sendable {
    /// The model name.
    public let modelName = "Branching"

    /// Creates the model.
    public init() {}

    /// fib with fib(0) = fib(1) = fib(2) = 1, as in both reference implementations.
    public static func fib(_ n: Int) -> Int {
        var a = 1, b = 1
        if n < 3 { return 1 }
        for _ in 3...n { (a, b) = (b, a + b) }
        return b
    }

    /// The Poisson rate of the observation for latent values `r` and `s`.
    public static func rate(r: Int, s: Int) -> Double {
        r > 4 ? 6 : Double(1 + fib(3 * r) + s)
    }

    /// Runs one trace.
    public mutating func run(_ execution: inout TraceExecution) throws -> Tensor? {
        let r = Int(try execution.sample(.poisson(rate: Tensor(4)), address: "r", name: "r").scalars[0])
        var s = 0
        if r <= 4 {
            s = Int(try execution.sample(.poisson(rate: Tensor(4)), address: "s", name: "s").scalars[0])
        }
        try execution.observe(.poisson(rate: Tensor(Self.rate(r: r, s: s))), address: "obs", name: "obs", value: nil)
        return Tensor(Double(r))
    }
}
