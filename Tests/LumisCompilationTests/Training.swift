import Foundation
import LumisCompilation
import LumisCore
import LumisDistributions
import LumisInference
import LumisNeural
import LumisSimulation
import LumisTensor

/// Trains small networks on in-process models, for the tests.
enum Training {
    /// A trainer for a new network on `model`, with its validation examples.
    static func trainer(
        _ model: some Simulator & Sendable, seed: UInt64, learningRate: Double = 3e-3, lstmHidden: Int = 32,
        components: Int = 3, embedding: Int = 16, validationCount: Int = 128, precision: Precision = .float64
    ) throws -> (Trainer, [TrainingExample]) {
        let factory: @Sendable (Int) throws -> any Simulator = { _ in model }
        let state = TrainingState(
            seed: seed, schedule: LearningRateSchedule(kind: .none, initial: learningRate),
            validationCount: validationCount)
        let traces = try Trainer.sampleTraces(
            count: validationCount, seed: state.validationSeed, workers: 1, makeSimulator: factory
        ).traces
        let specs = try ObservationEmbeddingSpec.specs(
            for: [], example: traces[0], normalizingOver: traces, defaultDimension: embedding)
        let network = InferenceNetwork(
            configuration: NetworkConfiguration(
                observations: specs, lstmHidden: lstmHidden, components: components, seed: seed,
                precision: precision))
        let validation = try traces.map { try TrainingExample(trace: $0, observations: specs) }
        return (Trainer(network: network, optimizer: .adam(Adam(learningRate: learningRate)), state: state), validation)
    }

    /// Trains a new network on `traces` traces of `model`.
    static func train(
        _ model: some Simulator & Sendable, traces: Int, batchSize: Int = 64, seed: UInt64,
        learningRate: Double = 3e-3, lstmHidden: Int = 32, components: Int = 3, embedding: Int = 16,
        precision: Precision = .float64
    ) throws -> (Trainer, TrainingReport) {
        let (trainer, validation) = try trainer(
            model, seed: seed, learningRate: learningRate, lstmHidden: lstmHidden, components: components,
            embedding: embedding, precision: precision)
        let report = try trainer.train(
            TrainingConfiguration(traceCount: traces, batchSize: batchSize, workers: 2), validation: validation,
            makeSimulator: { _ in model })
        return (trainer, report)
    }

    /// Importance sampling with the trainer's network on `model`.
    static func infer(
        _ trainer: Trainer, _ model: some Simulator & Sendable, traces: Int, seed: UInt64,
        observations: ObservationSet
    ) throws -> InferenceRun.Outcome {
        let run = InferenceRun(
            engine: .importance(proposal: .network(InferenceNetworkProposal(network: SharedNetwork(trainer.network)))),
            traceCount: traces, workers: 2, seed: seed, observations: observations, makeSimulator: { _ in model })
        // One process is rank 0, which always has the outcome.
        guard let outcome = try run.run() else { fatalError("unreachable: no outcome on rank 0") }
        return outcome
    }

    /// Importance sampling with the prior as proposal.
    static func priorImportanceSampling(
        _ model: some Simulator & Sendable, traces: Int, seed: UInt64, observations: ObservationSet
    ) throws -> Posterior {
        let sampler = TraceSampler(
            configuration: TraceSampler.Configuration(
                mode: .posterior, traceCount: traces, seed: seed, observations: observations))
        let box = Box()
        _ = try sampler.run(workers: 1, makeSimulator: { _ in model }) { _, traces in box.append(traces) }
        var store = TraceStore()
        for trace in box.traces { store.append(trace) }
        return Posterior(store: store)
    }

    /// Weighted mean and stddev of a named scalar.
    static func moments(_ posterior: Posterior, _ name: String) -> (mean: Double, stddev: Double) {
        var mean = 0.0, second = 0.0
        for index in 0..<posterior.traceCount {
            let x = posterior.store.value(of: .name(name), inTrace: index)?.scalar ?? .nan
            mean += posterior.normalizedWeights[index] * x
            second += posterior.normalizedWeights[index] * x * x
        }
        return (mean, (max(second - mean * mean, 0)).squareRoot())
    }
}

/// Collects traces from sampler threads.
///
/// Invariant: `stored` is accessed only under `lock`.
final class Box: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Trace] = []
    func append(_ traces: [Trace]) { lock.withLock { stored.append(contentsOf: traces) } }
    var traces: [Trace] { lock.withLock { stored } }
}
