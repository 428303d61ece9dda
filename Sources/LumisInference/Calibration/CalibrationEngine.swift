public import LumisCore
import LumisSimulation
import Synchronization

/// An inference engine as a calibration run drives it: one event's posterior from its observations, on a
/// simulator the calling worker owns for the whole run.
///
/// Engines run each event on the calling thread, one simulator, so an event's posterior depends only on its
/// seed, never on how events are spread over workers or ranks.
public protocol CalibrationEngine: Sendable {
    /// The engine's name as on the command line (`prior`, `is`, `ic`).
    var name: String { get }

    /// Runs the engine on one event.
    ///
    /// - Parameters:
    ///   - observations: the event's observed values.
    ///   - traceCount: how many traces.
    ///   - seed: the event's engine seed.
    ///   - simulator: the worker's simulator.
    ///   - maxConsecutiveFailures: as ``TraceSampler/Configuration/maxConsecutiveFailures``.
    /// - Returns: the posterior.
    func posterior(
        observations: ObservationSet, traceCount: Int, seed: UInt64, simulator: SimulatorHandle,
        maxConsecutiveFailures: Int
    ) throws -> Posterior
}

/// One worker's simulator, lent to the engine runs of successive events.
///
/// Invariant (hence `@unchecked Sendable`): only the worker thread that made it uses it, one call at a time;
/// engines hand it to a one-worker ``TraceSampler``, which runs on the calling thread.
public final class SimulatorHandle: @unchecked Sendable {
    /// The simulator.
    public var simulator: any Simulator

    /// Wraps `simulator`.
    public init(_ simulator: any Simulator) { self.simulator = simulator }

    /// A factory for a one-worker sampler that always returns this simulator.
    public var factory: @Sendable (Int) throws -> any Simulator { { [self] _ in self.simulator } }
}

/// Prior sampling or importance sampling with the prior as proposal, as ``InferenceJob`` runs them.
public struct SamplingCalibrationEngine: CalibrationEngine {
    /// The engine.
    public var engine: InferenceJob.Engine

    /// Creates the engine.
    public init(engine: InferenceJob.Engine) { self.engine = engine }

    /// `prior` or `is`.
    public var name: String { engine.rawValue }

    /// Runs `traceCount` traces with random streams 0, 1, … of `seed`, as `lumis infer --seed` would.
    public func posterior(
        observations: ObservationSet, traceCount: Int, seed: UInt64, simulator: SimulatorHandle,
        maxConsecutiveFailures: Int
    ) throws -> Posterior {
        let configuration = TraceSampler.Configuration(
            mode: engine == .prior ? .prior : .posterior, traceCount: traceCount, seed: seed,
            observations: observations, maxConsecutiveFailures: maxConsecutiveFailures)
        let store = Mutex(TraceStore())
        _ = try TraceSampler(configuration: configuration).run(workers: 1, makeSimulator: simulator.factory) {
            _, traces in
            store.withLock { store in
                for trace in traces { store.append(trace) }
            }
        }
        return Posterior(store: store.withLock { $0 }, weighting: engine == .prior ? .uniform : .importance)
    }
}
