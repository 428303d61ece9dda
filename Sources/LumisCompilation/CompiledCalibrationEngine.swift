public import LumisCore
public import LumisInference

/// Inference compilation (`--engine ic`) as a calibration run drives it: importance sampling with the network's
/// proposals, one event at a time on the worker's simulator (so unbatched).
public struct CompiledCalibrationEngine: CalibrationEngine {
    /// The network.
    public var network: SharedNetwork

    /// Creates the engine.
    public init(network: SharedNetwork) { self.network = network }

    /// `ic`.
    public var name: String { "ic" }

    /// Runs ``CompiledInference`` with one worker on `simulator`.
    ///
    /// - Throws: ``CompiledInferenceError`` if the event lacks an observation the network embeds, or has one of
    ///   another size; otherwise as ``CompiledInference/run(makeSimulator:progress:)``.
    public func posterior(
        observations: ObservationSet, traceCount: Int, seed: UInt64, simulator: SimulatorHandle,
        maxConsecutiveFailures: Int
    ) throws -> Posterior {
        let job = CompiledInference(
            network: network, traceCount: traceCount, workers: 1, seed: seed, observations: observations,
            maxConsecutiveFailures: maxConsecutiveFailures, batchesProposals: false)
        return try job.run(makeSimulator: simulator.factory).job.posterior
    }
}
