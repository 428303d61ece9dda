public import LumisDistributions
public import LumisTensor

/// How an engine chooses the value of each controlled sample.
///
/// Uncontrolled samples never reach the policy: they are always drawn from the prior (PROTOCOL.md).
public protocol ProposalPolicy {
    /// Chooses a value for `site`, whose validated prior is `prior`.
    ///
    /// - Returns: the value and `log p(x) − log q(x)`, the term this choice adds to the trace's log weight
    ///   (0 when the value comes from the prior itself).
    mutating func choose(
        at site: Site, prior: Distribution, using generator: inout Xoshiro256StarStar
    ) throws -> (value: Tensor, logWeight: Double)

    /// Called before every trace (and every retry of one), so that a policy with per-trace state (such as an
    /// inference network's recurrent state) starts afresh.
    mutating func startTrace()
}

extension ProposalPolicy {
    /// Does nothing: stateless policies need no reset.
    public mutating func startTrace() {}
}

/// Draws every sample from its prior: prior sampling and importance sampling with the prior as proposal.
public struct PriorProposal: ProposalPolicy {
    /// Creates the policy.
    public init() {}

    /// Draws from `prior`; the weight term is 0.
    public mutating func choose(
        at site: Site, prior: Distribution, using generator: inout Xoshiro256StarStar
    ) throws -> (value: Tensor, logWeight: Double) {
        (prior.sample(using: &generator), 0)
    }
}
