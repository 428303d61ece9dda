public import LumisCore

/// A proposal for whole traces that can also score a given trace: the network's proposals of inference
/// compilation, as MCMC's independence move uses them.
public protocol TraceProposal: ProposalPolicy {
    /// `log q(x)`: the log density of `trace`'s controlled draws under this proposal (−∞ where it cannot propose
    /// them). Uncontrolled draws are left out: they come from the prior under both the model and the proposal.
    mutating func logDensity(of trace: Trace) -> Double
}

/// The independence move MCMC mixes with its single-site moves (`lumis infer --engine rmh --network`).
///
/// With probability ``probability`` a step re-runs the whole trace with every controlled draw from ``TraceProposal``
/// `q`, and accepts the candidate `x′` with the Metropolis–Hastings ratio of an independence sampler,
///
/// ```
/// α = min(1, p(x′, y) q(x) / (p(x, y) q(x′))) = min(1, w(x′) / w(x)),   w(x) = p(x, y) / q(x),
/// ```
///
/// where `w(x′)` is the candidate's importance weight (its log weight under the proposal) and `w(x)` the current
/// state's, scored by ``TraceProposal/logDensity(of:)``. Each kernel leaves the posterior invariant, so their
/// mixture does, whatever `q` is (docs/mcmc.md derives it).
public struct IndependenceMove: Sendable {
    /// The probability of an independence move at each step (else a single-site move).
    public var probability: Double
    /// Makes one chain's proposal for the run's observations.
    public var makeProposal: @Sendable (ObservationSet) throws -> any TraceProposal

    /// The kernel's key in the per-address proposal and acceptance counts.
    public static let statisticsKey = "(network)"

    /// The probability when none is given (`--network-move-probability`).
    public static let defaultProbability = 0.2

    /// Creates the move.
    ///
    /// - Precondition: `0 < probability <= 1`.
    public init(probability: Double, makeProposal: @escaping @Sendable (ObservationSet) throws -> any TraceProposal) {
        precondition(probability > 0 && probability <= 1, "the independence move's probability must be in (0, 1]")
        self.probability = probability
        self.makeProposal = makeProposal
    }
}
