public import LumisDistributions
public import LumisTensor

/// A sample statement as the engine sees it when choosing a value.
public struct SampleSite: Sendable {
    /// The simulator's address text for the call site.
    public var address: String
    /// How many times `address` has occurred in this trace, counting this one (1-based).
    public var instance: Int
    /// The user's label, `""` when none.
    public var name: String
    /// Whether the engine may steer this draw (`Sample.control`).
    public var isControlled: Bool

    /// Creates a site.
    public init(address: String, instance: Int, name: String, isControlled: Bool) {
        self.address = address
        self.instance = instance
        self.name = name
        self.isControlled = isControlled
    }
}

/// How an engine chooses the value of each controlled sample.
///
/// Uncontrolled samples never reach the policy: they are always drawn from the prior (PROTOCOL.md).
public protocol ProposalPolicy {
    /// Chooses a value for `site`, whose validated prior is `prior`.
    ///
    /// - Returns: the value and `log p(x) − log q(x)`, the term this choice adds to the trace's log weight
    ///   (0 when the value comes from the prior itself).
    mutating func choose(
        at site: SampleSite, prior: Distribution, using generator: inout Xoshiro256StarStar
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
        at site: SampleSite, prior: Distribution, using generator: inout Xoshiro256StarStar
    ) throws -> (value: Tensor, logWeight: Double) {
        (prior.sample(using: &generator), 0)
    }
}
