import Foundation
public import LumisCore
import LumisDistributions
public import LumisInference
public import LumisSimulation
import Synchronization

/// Importance sampling with a trained inference network as proposal (`lumis infer --engine ic`).
public struct CompiledInference: Sendable {
    /// The network, shared read-only by the workers.
    public var network: SharedNetwork
    /// How many traces.
    public var traceCount: Int
    /// How many simulators run at once.
    public var workers: Int
    /// The random seed; trace *i* uses stream `firstTraceIndex + i`.
    public var seed: UInt64
    /// The observed values; every observation the network embeds must be among them.
    public var observations: ObservationSet
    /// How many failed attempts in a row a worker tolerates.
    public var maxConsecutiveFailures: Int
    /// Whether the workers' LSTM steps run as one batch (issue 4 item 10; only matters with several workers).
    public var batchesProposals: Bool
    /// How many LSTM batches may be computed at once; steps queue into a batch only when this many are running.
    ///
    /// Defaults to the active processor count, so batching never costs parallelism.
    public var proposalBatchConcurrency = ProcessInfo.processInfo.activeProcessorCount
    /// The index of this run's first trace in a larger run split between processes: trace *i* uses random
    /// stream `firstTraceIndex + i`, so the parts of a split run together equal the run in one piece.
    public var firstTraceIndex = 0

    /// Creates a run.
    ///
    /// - Precondition: `traceCount > 0`, `workers > 0`.
    public init(
        network: SharedNetwork, traceCount: Int, workers: Int = 1, seed: UInt64, observations: ObservationSet,
        maxConsecutiveFailures: Int = 10, batchesProposals: Bool = true
    ) {
        precondition(traceCount > 0 && workers > 0, "traceCount and workers must be positive")
        self.network = network
        self.traceCount = traceCount
        self.workers = workers
        self.seed = seed
        self.observations = observations
        self.maxConsecutiveFailures = maxConsecutiveFailures
        self.batchesProposals = batchesProposals
    }

    /// What a run produced.
    public struct Output: Sendable {
        /// The weighted traces and the sampler's counters.
        public var job: JobOutput
        /// Controlled draws the network has no usable head for (an address never seen in training, a tensor
        /// value, or a prior that does not fit the head), drawn from the prior, by address key.
        public var unknownAddresses: [String: Int]
        /// Controlled draws over all traces.
        public var controlledDraws: Int
        /// Proposal heads in the network.
        public var networkAddresses: Int
        /// With batched proposals: LSTM steps taken, batches they ran in, and the largest batch.
        public var batching: (steps: Int, batches: Int, largestBatch: Int)?

        /// The number of controlled draws that fell back to the prior for want of a head.
        public var unknownDrawCount: Int { unknownAddresses.values.reduce(0, +) }

        /// The posterior file's content: the importance-sampling summary plus the `ic` section with the prior
        /// fallbacks (issue 4 item 9).
        public func summary(metadata: PosteriorMetadata) -> PosteriorSummary {
            var summary = job.posterior.summary(metadata: metadata)
            summary.ic = CompiledSummary(
                networkAddresses: networkAddresses, controlledDraws: controlledDraws, priorFallbacks: unknownAddresses)
            return summary
        }
    }

    /// Runs the traces over simulators made by `makeSimulator` (one per worker, on the worker's thread).
    ///
    /// - Parameter progress: called after each chunk of traces.
    /// - Throws: ``CompiledInferenceError`` if an embedded observation is missing, ``NetworkMismatch`` if an
    ///   observation has another shape or a simulator another model than the network was trained on (checked
    ///   before each simulator's first trace); otherwise as ``TraceSampler/run(workers:makeSimulator:policy:consume:)``.
    public func run(
        makeSimulator: @escaping @Sendable (Int) throws -> any Simulator,
        progress: (@Sendable (RunProgress) -> Void)? = nil
    ) throws -> Output {
        // Fail before starting simulators when an observation is missing.
        _ = try CompiledProposal(network: network, observations: observations)
        var configuration = TraceSampler.Configuration(
            mode: .posterior, traceCount: traceCount, seed: seed, observations: observations,
            maxConsecutiveFailures: maxConsecutiveFailures)
        configuration.firstStream = UInt64(firstTraceIndex)
        let sampler = TraceSampler(configuration: configuration)
        let network = self.network, observations = self.observations, total = traceCount
        let batcher =
            batchesProposals && workers > 1
            ? LSTMBatcher(network: network, concurrency: max(proposalBatchConcurrency, 1)) : nil
        let collected = CollectedBox()
        let report = try sampler.run(
            workers: workers,
            makeSimulator: SignatureCheckingSimulator.wrap(makeSimulator, signature: network.network.signature),
            policy: { () -> any ProposalPolicy in
                // Checked above, so this cannot throw; a fallback keeps the factory total.
                if let policy = try? CompiledProposal(network: network, observations: observations, batcher: batcher) {
                    return policy
                }
                return PriorProposal()
            },
            consume: { _, traces in
                let snapshot = collected.state.withLock { state in
                    for trace in traces { state.add(trace, network: network.network) }
                    return RunProgress(
                        phase: .sampling, completed: state.store.count, total: total,
                        effectiveSampleSize: state.effectiveSampleSize)
                }
                progress?(snapshot)
            })
        return collected.state.withLock { state in
            Output(
                job: JobOutput(store: state.store, weighting: .importance, report: report),
                unknownAddresses: state.unknown, controlledDraws: state.controlledDraws,
                networkAddresses: network.network.addresses.count, batching: batcher?.statistics)
        }
    }

    /// Runs the traces over simulators from `source` (attached or launched).
    public func run(
        source: SimulatorSource, timeout: Duration = .seconds(60),
        progress: (@Sendable (RunProgress) -> Void)? = nil
    ) throws -> Output {
        return try run(makeSimulator: source.simulatorFactory(timeout: timeout), progress: progress)
    }
}

/// Shares the collected traces between worker threads.
private final class CollectedBox: Sendable {
    let state = Mutex(Collected())
}

/// Traces gathered so far, with running sums for the progress ESS.
private struct Collected {
    var store = TraceStore()
    var unknown: [String: Int] = [:]
    var controlledDraws = 0
    var logSum = -Double.infinity
    var logSumOfSquares = -Double.infinity

    var effectiveSampleSize: Double { logSum.isFinite ? exp(2 * logSum - logSumOfSquares) : 0 }

    mutating func add(_ trace: Trace, network: InferenceNetwork) {
        store.append(trace)
        for entry in trace.entries where entry.kind == .sample && entry.isControlled {
            controlledDraws += 1
            guard let prior = entry.distribution else { continue }
            let key = AddressKey(address: entry.address, instance: entry.instance, kind: prior.kind)
            if network.usableEntry(for: key, prior: prior) == nil { unknown[key.description, default: 0] += 1 }
        }
        if trace.logWeight.isFinite {
            logSum = logAddExp(logSum, trace.logWeight)
            logSumOfSquares = logAddExp(logSumOfSquares, 2 * trace.logWeight)
        }
    }
}
