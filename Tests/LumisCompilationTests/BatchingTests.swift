import Foundation
import LumisCompilation
import LumisCore
import LumisInference
import LumisTensor
import LumisTestSupport
import Testing

/// Issue 4 item 10: the workers' LSTM steps run as one batch, with the results of unbatched evaluation.
@Suite("Batched proposals")
struct BatchingTests {
    @Test("Batched and unbatched IC give the same posterior at the same seed; steps really are batched")
    func sameResults() throws {
        // The HMM: 17 controlled draws per trace, and an LSTM large enough that the 4 workers' steps overlap.
        // Equivalence does not need a trained network, only heads for every address.
        let (trainer, validation) = try Training.trainer(
            HiddenMarkovModel(), seed: 23, lstmHidden: 128, embedding: 4, validationCount: 32)
        trainer.network.polymorph(validation)
        let observations = HiddenMarkovModel.observationSet
        func run(batched: Bool) throws -> (InferenceRun.Outcome, InferenceNetworkProposal) {
            // One batch at a time, so that the other workers' steps queue behind it whatever the core count.
            let proposal = InferenceNetworkProposal(
                network: SharedNetwork(trainer.network), batchesProposals: batched, batchConcurrency: 1)
            let run = InferenceRun(
                engine: .importance(proposal: .network(proposal)), traceCount: 400, workers: 4, seed: 51,
                observations: observations, makeSimulator: { _ in HiddenMarkovModel() })
            return (try #require(try run.run()), proposal)
        }
        let (batched, batchedProposal) = try run(batched: true)
        let (unbatched, unbatchedProposal) = try run(batched: false)
        let statistics = try #require(batchedProposal.batching)
        print(
            "batched proposals: \(statistics.steps) steps in \(statistics.batches) batches,",
            "largest \(statistics.largestBatch)")
        #expect(unbatchedProposal.batching == nil)
        #expect(statistics.steps == 400 * 17)
        #expect(statistics.largestBatch >= 2 && statistics.batches < statistics.steps)
        // Trace by trace: same values and log weights. A batched GEMM may sum in another order than a 1-row one,
        // so log weights agree to 1e-9 rather than bit for bit; the discrete values agree exactly.
        let a = try #require(batched.posterior), b = try #require(unbatched.posterior)
        #expect(a.traceCount == 400 && b.traceCount == 400)
        var maxDifference = 0.0
        for index in 0..<400 {
            for t in 0...16 {
                let name = VariableSelector.name("x\(t)")
                #expect(a.store.value(of: name, inTrace: index) == b.store.value(of: name, inTrace: index))
            }
            maxDifference = max(maxDifference, abs(a.store.logWeights[index] - b.store.logWeights[index]))
        }
        print("largest log weight difference \(maxDifference)")
        #expect(maxDifference <= 1e-9)
        let summaryA = batched.summary, summaryB = unbatched.summary
        if maxDifference == 0 { #expect(summaryA.jsonText() == summaryB.jsonText()) }
        for (name, statistics) in summaryA.variables {
            let other = try #require(summaryB.variables[name])
            for (x, y) in zip(statistics.mean, other.mean) { #expect(abs(x - y) <= 1e-9, "\(name)") }
        }
        #expect(abs((summaryA.effectiveSampleSize ?? 0) - (summaryB.effectiveSampleSize ?? 0)) <= 1e-9 * 400)
    }
}

/// Wall-clock timing of batched against unbatched IC at pyprob's LSTM size; `LUMIS_BENCHMARK=1` enables it.
@Suite("Batched proposals benchmark", .enabled(if: ProcessInfo.processInfo.environment["LUMIS_BENCHMARK"] != nil))
struct BatchingBenchmark {
    @Test("HMM, LSTM 512, 10 components: seconds per 512 traces, batched and unbatched, 8 workers")
    func timing() throws {
        let (trainer, validation) = try Training.trainer(
            HiddenMarkovModel(), seed: 23, lstmHidden: 512, components: 10, embedding: 32, validationCount: 32)
        trainer.network.polymorph(validation)
        let clock = ContinuousClock()
        // 512 traces are 8 chunks of the sampler's 64, so that all 8 workers have traces to run.
        for workers in [8] {
            // Unbatched, then batched with at most 1 and 2 batches at once.
            for (batched, concurrency) in [(false, 1), (true, 1), (true, 2)] {
                let proposal = InferenceNetworkProposal(
                    network: SharedNetwork(trainer.network), batchesProposals: batched, batchConcurrency: concurrency)
                let run = InferenceRun(
                    engine: .importance(proposal: .network(proposal)), traceCount: 512, workers: workers, seed: 51,
                    observations: HiddenMarkovModel.observationSet, makeSimulator: { _ in HiddenMarkovModel() })
                let start = clock.now
                _ = try run.run()
                print(
                    "workers \(workers) batched \(batched) concurrency \(concurrency): \(clock.now - start)",
                    proposal.batching.map { "\($0.steps) steps in \($0.batches) batches" } ?? "")
            }
        }
    }
}
