import Foundation
public import LumisCore
public import LumisSimulation

/// One inference run as a scientist asks for it: which simulator, which engine, how many traces, which data.
///
/// This is what `lumis infer` does, as a library call: it opens (or launches) the simulators, runs the engine
/// over them and returns the posterior.
public struct InferenceJob: Sendable {
    /// The inference engines.
    public enum Engine: String, Sendable, CaseIterable {
        /// Prior sampling: unweighted traces from the model.
        case prior
        /// Importance sampling with the prior as proposal.
        case importanceSampling = "is"
    }

    /// Where the simulators come from.
    public typealias Source = SimulatorSource

    /// Where the simulators come from.
    public var source: Source
    /// The engine.
    public var engine: Engine
    /// How many traces.
    public var traceCount: Int
    /// How many simulators run at once.
    public var workers: Int
    /// The random seed.
    public var seed: UInt64
    /// The observed values.
    public var observations: ObservationSet
    /// The longest wait for one simulator reply.
    public var timeout: Duration
    /// How many failed attempts in a row a worker tolerates.
    public var maxConsecutiveFailures: Int
    /// The index of this job's first trace in a larger run split between processes: trace *i* of the job uses
    /// random stream `firstTraceIndex + i`, so the parts of a split run together equal the run in one piece.
    public var firstTraceIndex = 0

    /// Creates a job.
    ///
    /// - Precondition: `traceCount > 0`, `workers > 0`; with `.attach`, one endpoint per worker.
    public init(
        source: Source, engine: Engine, traceCount: Int, workers: Int = 1, seed: UInt64,
        observations: ObservationSet = ObservationSet(), timeout: Duration = .seconds(60),
        maxConsecutiveFailures: Int = 10
    ) {
        precondition(traceCount > 0 && workers > 0, "traceCount and workers must be positive")
        if case .attach(let endpoints) = source {
            precondition(endpoints.count == workers, "one endpoint per worker")
        }
        self.source = source
        self.engine = engine
        self.traceCount = traceCount
        self.workers = workers
        self.seed = seed
        self.observations = observations
        self.timeout = timeout
        self.maxConsecutiveFailures = maxConsecutiveFailures
    }

    /// Runs the job.
    ///
    /// - Parameter progress: called after each chunk of traces, never concurrently with itself.
    /// - Returns: the finished traces in index order, with the run's counters.
    /// - Throws: ``LaunchError``, ``SimulatorFailure``, ``RepeatedFailure``, ``ModelError``, `ZMQError`, or
    ///   `ZMQSocket.WaitError.interrupted` after Ctrl-C. Launched simulators are stopped in every case.
    public func run(progress: (@Sendable (RunProgress) -> Void)? = nil) throws -> JobOutput {
        var configuration = TraceSampler.Configuration(
            mode: engine == .prior ? .prior : .posterior, traceCount: traceCount, seed: seed,
            observations: observations, maxConsecutiveFailures: maxConsecutiveFailures)
        configuration.firstStream = UInt64(firstTraceIndex)
        let sampler = TraceSampler(configuration: configuration)
        let collector = TraceCollector(total: traceCount, isWeighted: engine != .prior, progress: progress)
        let makeSimulator = try source.simulatorFactory(timeout: timeout)
        let report = try sampler.run(workers: workers, makeSimulator: makeSimulator) { _, traces in
            collector.append(traces)
        }
        return collector.output(report: report)
    }
}
