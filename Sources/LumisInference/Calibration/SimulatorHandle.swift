import LumisCore

/// One worker's simulator, lent to the engine runs of successive calibration events.
///
/// Invariant (hence `@unchecked Sendable`): one thread uses it at a time: the worker thread that made it, or during
/// an MCMC event one chain's thread, which the worker waits for (each run is an ``InferenceRun`` with one worker,
/// on the calling thread, or with one chain per handle).
final class SimulatorHandle: @unchecked Sendable {
    /// The simulator.
    var simulator: any Simulator

    /// Wraps `simulator`.
    init(_ simulator: any Simulator) { self.simulator = simulator }

    /// A simulator factory for a one-worker run that always returns this simulator.
    var factory: @Sendable (Int) throws -> any Simulator { { [self] _ in self.simulator } }
}
