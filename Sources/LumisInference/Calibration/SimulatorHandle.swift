import LumisCore

/// One worker's simulator, lent to the engine runs of successive calibration events.
///
/// Invariant (hence `@unchecked Sendable`): only the worker thread that made it uses it, one run at a time; each
/// run is an ``InferenceRun`` with one worker, which runs on the calling thread.
final class SimulatorHandle: @unchecked Sendable {
    /// The simulator.
    var simulator: any Simulator

    /// Wraps `simulator`.
    init(_ simulator: any Simulator) { self.simulator = simulator }

    /// A simulator factory for a one-worker run that always returns this simulator.
    var factory: @Sendable (Int) throws -> any Simulator { { [self] _ in self.simulator } }
}
