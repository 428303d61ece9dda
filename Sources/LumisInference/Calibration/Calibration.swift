public import LumisCore
public import LumisDistributions
public import LumisSimulation
import LumisTensor
import Synchronization

/// Simulation-based calibration: truths drawn from the prior, an engine run on each one's observations.
///
/// Talts et al. 2018, "Validating Bayesian inference algorithms with simulation-based calibration": records
/// where every truth falls in its posterior (`lumis calibrate`, docs/calibration.md).
///
/// Event *e* is made from `seed` alone, so a run's records do not depend on workers or ranks:
/// - its truth is the trace of random stream *e* of `seed` in simulate-observations mode (observes without a
///   value draw one from their likelihood), i.e. trace *e* of `lumis dataset --seed seed`;
/// - its engine seed is the first output of `Xoshiro256StarStar(seed: seed, stream: 2⁶³ + e)`, and the same
///   generator then gives the PIT randomisation variates (``CalibrationEvent/measure(truth:posterior:using:)``).
///
/// Each worker owns one simulator for the whole run (with MCMC, one per chain: worker *w*'s chain *c* runs on
/// simulator `w · chains + c`) and takes whole events, the truth and the engine's traces, one after another.
///
/// An MCMC engine's posterior is its chains' kept draws pooled with equal weights, and an event's effective
/// sample size is the smallest bulk ESS (``ConvergenceDiagnostics``) over the scalar latents of the posterior
/// file: SBC's ranks are uniform only if the kept draws are close to independent, so thin to about the ESS
/// (Talts et al. 2018, §5).
public struct Calibration: Sendable {
    /// How many events.
    public var eventCount: Int
    /// Traces the engine runs per event.
    public var tracesPerEvent: Int
    /// The run's seed.
    public var seed: UInt64
    /// How many simulators run at once (each works through whole events).
    public var workers: Int
    /// How many failed attempts in a row at one trace a worker tolerates.
    public var maxConsecutiveFailures: Int
    /// MCMC engines: the chains of each event (count, burn-in, thinning; they start from the prior).
    public var chains = InferenceRun.Chains()
    /// MCMC engines: the network whose proposals guide the chains (`--network`), `nil` for single-site moves.
    public var networkMove: InferenceRun.NetworkMove?

    /// Simulators per worker: one per chain for an MCMC engine, else one.
    public func simulatorsPerWorker(engine: InferenceRun.Engine) -> Int {
        engine.kernel == nil ? 1 : chainCount
    }

    /// The chains of an MCMC event.
    var chainCount: Int { chains.count ?? InferenceRun.Chains.defaultCount(endpoints: 0) }

    /// Creates a run.
    ///
    /// - Precondition: `eventCount`, `tracesPerEvent` and `workers` are positive.
    public init(
        eventCount: Int, tracesPerEvent: Int, seed: UInt64, workers: Int = 1, maxConsecutiveFailures: Int = 10
    ) {
        precondition(eventCount > 0 && tracesPerEvent > 0 && workers > 0, "counts must be positive")
        self.eventCount = eventCount
        self.tracesPerEvent = tracesPerEvent
        self.seed = seed
        self.workers = workers
        self.maxConsecutiveFailures = maxConsecutiveFailures
    }

    /// The generator of event `event`'s engine seed and PIT variates.
    public static func eventGenerator(seed: UInt64, event: Int) -> Xoshiro256StarStar {
        Xoshiro256StarStar(seed: seed, stream: 1 << 63 | UInt64(event))
    }

    /// What the events of one run (or of one rank's share) produced.
    public struct Output: Sendable {
        /// The event records, in event order: all of the run's events, or after an interruption the longest
        /// finished prefix of them.
        public var events: [CalibrationEvent]
        /// The model name the simulators reported.
        public var modelName: String
        /// Whether the run stopped on an interruption (``events`` is then a prefix).
        public var isInterrupted = false
    }

    /// Runs the events `events` (a share of `0..<eventCount`).
    ///
    /// Each event's posterior is an ``InferenceRun`` of `engine` with one worker on the worker's simulator, so
    /// it is exactly what `lumis infer --seed` with the event's engine seed and observations would give.
    /// - Parameters:
    ///   - events: the events to run.
    ///   - engine: the engine under test: prior, importance sampling (with the prior or a network as proposal), or
    ///     MCMC with ``chains`` (and ``networkMove``).
    ///   - makeSimulator: opens simulator *i* on the thread of the worker that uses it: worker *w*'s, or with
    ///     MCMC worker *w*'s chain *c*'s as `w · chains + c` (``simulatorsPerWorker(engine:)``).
    ///   - progress: called after each event with the events finished so far.
    ///   - isInterrupted: whether a stop was requested (a signal); when it is and a worker failed, the run
    ///     returns the longest finished prefix of `events` instead of throwing, so that it can be kept and resumed.
    /// - Returns: the records of `events`, in order (a prefix if interrupted).
    /// - Throws: the first error any worker met; the others stop after their current event. A true trace
    ///   without observations, or with two observations of one name, is a ``CalibrationError``.
    /// - Precondition: `events` lies in `0..<eventCount`; ``chains`` start from the prior.
    public func run(
        events: Range<Int>, engine: InferenceRun.Engine,
        makeSimulator: @escaping @Sendable (Int) throws -> any Simulator,
        progress: (@Sendable (RunProgress) -> Void)? = nil, isInterrupted: @Sendable () -> Bool = { false }
    ) throws -> Output {
        precondition(events.lowerBound >= 0 && events.upperBound <= eventCount, "events out of range")
        precondition(chains.start == .prior, "calibration chains start from the prior")
        let state = Mutex(RunState(count: events.count))
        let stopped = Atomic<Bool>(false)
        let configuration = self
        let work: @Sendable (Int) -> Void = { worker in
            do {
                let perWorker = configuration.simulatorsPerWorker(engine: engine)
                let handles = try (0..<perWorker).map { SimulatorHandle(try makeSimulator(worker * perWorker + $0)) }
                while !stopped.load(ordering: .relaxed) {
                    guard let index = state.withLock({ $0.claim() }) else { break }
                    let record = try configuration.event(
                        events.lowerBound + index, engine: engine, simulators: handles)
                    let done = state.withLock { state in
                        state.records[index] = record
                        if state.modelName.isEmpty { state.modelName = handles[0].simulator.modelName }
                        state.completed += 1
                        return state.completed
                    }
                    progress?(RunProgress(phase: .sampling, unit: "events", completed: done, total: events.count))
                }
            } catch {
                stopped.store(true, ordering: .relaxed)
                state.withLock { state in
                    if state.error == nil { state.error = error }
                }
            }
        }
        if !events.isEmpty { runOnWorkerThreads(min(workers, events.count), work) }
        return try state.withLock { state in
            if let error = state.error {
                guard isInterrupted() else { throw error }
                let finished = state.records.prefix { $0 != nil }.compactMap { $0 }
                return Output(events: finished, modelName: state.modelName, isInterrupted: true)
            }
            // Every claimed event stored its record before the workers returned without an error.
            return Output(events: state.records.map { $0! }, modelName: state.modelName)
        }
    }

    /// Runs event `event` on `simulators` (the first for the truth, one per chain for MCMC): its truth, the engine's
    /// posterior, the measures.
    func event(_ event: Int, engine: InferenceRun.Engine, simulators: [SimulatorHandle]) throws -> CalibrationEvent {
        let simulator = simulators[0]
        var configuration = TraceSampler.Configuration(
            mode: .simulateObservations, traceCount: 1, seed: seed, maxConsecutiveFailures: maxConsecutiveFailures)
        configuration.firstStream = UInt64(event)
        let truthBox = Mutex<Trace?>(nil)
        // A simulator of another model than the network's is refused before its truth, as IC and guided MCMC do.
        var network: (any NetworkProposal)? = networkMove?.network
        if case .importance(.network(let proposal)) = engine { network = proposal }
        let truthSimulator = network?.checkedSimulators(simulator.factory) ?? simulator.factory
        _ = try TraceSampler(configuration: configuration).run(workers: 1, makeSimulator: truthSimulator) {
            _, traces in
            truthBox.withLock { $0 = traces.first }
        }
        guard let truth = truthBox.withLock({ $0 }) else {
            throw CalibrationError(description: "event \(event): the simulator produced no trace")
        }
        var observed: [String: Tensor] = [:]
        for entry in truth.entries where entry.kind == .observe {
            guard !entry.name.isEmpty else {
                throw CalibrationError(
                    description: "the observe at \(entry.address) has no name: calibration passes each event's "
                        + "observations to the engine by name")
            }
            guard observed.updateValue(entry.value, forKey: entry.name) == nil else {
                throw CalibrationError(
                    description: "observation \(entry.name) occurs twice in one trace: calibration passes each "
                        + "event's observations to the engine by name")
            }
        }
        guard !observed.isEmpty else {
            throw CalibrationError(description: "the model's traces have no observations to condition on")
        }
        var generator = Self.eventGenerator(seed: seed, event: event)
        var run = InferenceRun(
            engine: engine, traceCount: tracesPerEvent, workers: 1, seed: generator.next(),
            observations: ObservationSet(observed), makeSimulator: { simulators[$0].simulator })
        run.maxConsecutiveFailures = maxConsecutiveFailures
        if engine.kernel != nil {
            run.workers = nil
            run.chains = chains
            run.chains.count = chainCount
            run.networkMove = networkMove
        }
        // One process: the run's outcome and its posterior are always there.
        guard let outcome = try run.run(), let posterior = outcome.posterior else {
            throw CalibrationError(description: "event \(event): the engine returned no posterior")
        }
        if let failure = outcome.failure { throw failure }
        var record = CalibrationEvent.measure(truth: truth, posterior: posterior, using: &generator)
        if engine.kernel != nil { record.effectiveSampleSize = Self.smallestBulkESS(outcome.summary) }
        return record
    }

    /// The smallest bulk ESS over the scalar latents (named variables and result elements) of an MCMC posterior
    /// file; 0 when none is defined.
    static func smallestBulkESS(_ summary: PosteriorSummary) -> Double {
        let sizes = (Array(summary.variables.values) + (summary.result.map { [$0] } ?? [])).flatMap {
            $0.diagnostics?.essBulk ?? []
        }
        return sizes.filter(\.isFinite).min() ?? 0
    }
}

/// Shared by the workers of one calibration run.
private struct RunState {
    var records: [CalibrationEvent?]
    var next = 0
    var completed = 0
    var modelName = ""
    var error: (any Error)?

    init(count: Int) { records = [CalibrationEvent?](repeating: nil, count: count) }

    mutating func claim() -> Int? {
        guard next < records.count, error == nil else { return nil }
        defer { next += 1 }
        return next
    }
}

/// A model that cannot be calibrated as it is.
public struct CalibrationError: Error, Equatable, CustomStringConvertible {
    /// A one-line message.
    public var description: String

    /// Creates the error.
    public init(description: String) { self.description = description }
}
