public import LumisCore

/// A trained network's proposals: the proposal of inference compilation (importance sampling whose proposal is the
/// network) and of network-guided MCMC's independence move.
///
/// The network lives in LumisCompilation, above this module, which supplies a conforming value; ``InferenceRun``
/// runs IC exactly as importance sampling with the prior, through the ``ProposalPolicy`` seam, and guided MCMC
/// through ``IndependenceMove``. Both check the network against the run the same way: ``check(observations:)``
/// before any simulator starts, ``checkedSimulators(_:)`` before each simulator's first trace.
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

/// A network whose proposals can also guide MCMC (``InferenceRun/NetworkMove``): it proposes and scores whole
/// traces, and says what identifies it in the posterior file.
public protocol GuidingNetworkProposal: NetworkProposal {
    /// One MCMC chain's whole-trace proposal for the independence move.
    ///
    /// - Precondition: ``check(observations:)`` accepted `observations`.
    /// - Throws: what ``check(observations:)`` would throw.
    func traceProposal(observations: ObservationSet) throws -> any TraceProposal

    /// What a guided MCMC posterior file records of the network (``MCMCSummary/NetworkRecord``).
    ///
    /// - Precondition: ``check(observations:)`` ran (a network read from a file is read there).
    var record: MCMCSummary.NetworkRecord { get }
}

/// An error after which a run keeps nothing.
///
/// The request does not fit the simulator (a network trained on another model). MCMC chains that stop on one write no files, as importance sampling does not.
public protocol RunRefusal: Error {}
