public import LumisCore

/// The proposal of inference compilation: importance sampling whose proposal is a trained network.
///
/// The network lives in LumisCompilation, above this module, which supplies a conforming value; ``InferenceRun``
/// runs it exactly as importance sampling with the prior, through the ``ProposalPolicy`` seam.
public protocol NetworkProposal: Sendable {
    /// Proposal heads in the network (the posterior file's `ic.network_addresses`).
    var addressCount: Int { get }

    /// Refuses, before any simulator starts (and after the outputs are checked), observations that lack a value
    /// the network embeds; a network read from a file is read here.
    ///
    /// - Throws: an error naming the observation or the file; ``InferenceRun/run(outputs:progress:)`` passes it on.
    func check(observations: ObservationSet) throws

    /// `makeSimulator`'s simulators, each checked before its first trace against what the network was trained on
    /// (the model name of its handshake); `makeSimulator` itself when the network records nothing to check.
    ///
    /// A checked simulator of another model throws (the run stops with that error) instead of running a trace.
    func checkedSimulators(
        _ makeSimulator: @escaping @Sendable (Int) throws -> any Simulator
    ) -> @Sendable (Int) throws -> any Simulator

    /// A function that makes one worker's proposal policy, for a run on `workers` workers that computes at most
    /// `concurrency` network steps at once.
    ///
    /// - Precondition: ``check(observations:)`` accepted `observations`.
    func policies(
        observations: ObservationSet, workers: Int, concurrency: Int
    ) -> @Sendable () -> any ProposalPolicy

    /// The key of `entry`'s address (`address#instance:kind`) when the network has no usable head for this
    /// controlled draw, which then came from the prior; `nil` when the network proposed it.
    func fallbackKey(for entry: Trace.Entry) -> String?
}

extension NetworkProposal {
    /// `makeSimulator` unchanged: a proposal that records nothing about the simulator checks nothing.
    public func checkedSimulators(
        _ makeSimulator: @escaping @Sendable (Int) throws -> any Simulator
    ) -> @Sendable (Int) throws -> any Simulator {
        makeSimulator
    }
}
