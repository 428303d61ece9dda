import Foundation
import LumisCore
public import LumisSimulation

/// An MCMC run as a scientist asks for it (`lumis infer --engine lmh|rmh`): which simulators, which sampler, how
/// many chains.
///
/// Each chain gets its own simulator: with ``SimulatorSource/launch(command:)`` one process per chain on a
/// private endpoint, restarted after a crash or hang (the interrupted proposal is then redone with the same
/// randomness, so the chain is the same as without the failure); with ``SimulatorSource/attach(endpoints:)``
/// one endpoint per chain, and a simulator that stops answering ends the run with an ``MCMCFailure`` holding the
/// draws so far.
public struct MCMCJob: Sendable {
    /// Where the simulators come from.
    public var source: SimulatorSource
    /// The sampler's configuration.
    public var configuration: MetropolisHastings.Configuration
    /// How many chains (and simulators).
    public var chains: Int
    /// The longest wait for one simulator reply.
    public var timeout: Duration

    /// Creates a job.
    ///
    /// - Precondition: `chains > 0`; with `.attach`, one endpoint per chain.
    public init(
        source: SimulatorSource, configuration: MetropolisHastings.Configuration, chains: Int,
        timeout: Duration = .seconds(60)
    ) {
        precondition(chains > 0, "chains must be positive")
        if case .attach(let endpoints) = source {
            precondition(endpoints.count == chains, "one endpoint per chain")
        }
        self.source = source
        self.configuration = configuration
        self.chains = chains
        self.timeout = timeout
    }

    /// Runs the chains.
    ///
    /// - Parameter progress: called now and then with the proposals made so far.
    /// - Returns: the chains' draws, statistics and final states.
    /// - Throws: ``MCMCFailure`` (with the partial output) for any error met while the chains ran; a ZeroMQ
    ///   error if no context can be made. Launched simulators are stopped in every case.
    public func run(progress: (@Sendable (RunProgress) -> Void)? = nil) throws -> MCMCOutput {
        let sampler = MetropolisHastings(configuration: configuration)
        return try sampler.run(
            chains: chains, makeSimulator: try source.simulatorFactory(timeout: timeout),
            progress: progress)
    }

    /// Runs the chains `chainRange` only, each exactly as in ``run(progress:)`` (the part of one process when
    /// the chains are split between processes).
    ///
    /// - Parameter progress: called now and then with the proposals these chains made so far.
    /// - Returns: these chains' draws, statistics and final states, in order.
    /// - Throws: as ``run(progress:)``.
    /// - Precondition: `chainRange` is a non-empty part of `0..<chains`.
    public func run(
        chainRange: Range<Int>, progress: (@Sendable (RunProgress) -> Void)? = nil
    ) throws -> MCMCOutput {
        precondition(!chainRange.isEmpty && chainRange.lowerBound >= 0 && chainRange.upperBound <= chains)
        let sampler = MetropolisHastings(configuration: configuration)
        return try sampler.run(
            chainRange: chainRange, makeSimulator: try source.simulatorFactory(timeout: timeout),
            progress: progress)
    }
}
