import LumisCompilation
import LumisCore
import LumisNeural
import LumisTestSupport
import Testing

/// `lumis train --threads`: the network step's GEMMs run on several BLAS threads.
///
/// OpenBLAS partitions a GEMM's output among its threads; the tiles at the partition edges take other micro-kernels,
/// which may accumulate an element's inner sum in another order. So a step's loss and gradient agree across thread
/// counts to the rounding of a reordered sum, `2 γ_n Σ|terms|` (as in the hoisting test), and a run is bit-for-bit
/// reproducible for a fixed seed and thread count. Over many optimizer steps the rounding differences grow as any
/// perturbation of training does, so runs with different thread counts are not bit-identical.
@Suite(.serialized) struct TrainerThreadsTests {
    static func trainer() throws -> (Trainer, [TrainingExample]) {
        try Training.trainer(ConjugateLatents(), seed: 21, lstmHidden: 64, embedding: 32, validationCount: 64)
    }

    @Test("A step's loss and gradient with 1 and 2 BLAS threads agree to reordered-sum rounding")
    func stepAgreesAcrossThreads() throws {
        let saved = BLASThreading.threads
        defer { BLASThreading.threads = saved }
        let (trainer, examples) = try Self.trainer()
        let network = trainer.network
        network.polymorph(examples)
        var results: [(loss: Double, gradients: [Double])] = []
        for threads in [1, 2] {
            BLASThreading.threads = threads
            #expect(BLASThreading.threads == threads)
            network.store.zeroGradients()
            let loss = network.evaluate(examples, gradients: true).sumLogProposal ?? .nan
            results.append((loss, network.store.gradients))
        }
        let steps = examples.map(\.keys.count).max() ?? 0
        let n = steps * examples.count * (network.configuration.lstmInput + network.configuration.lstmHidden)
        let gamma = Double(n) * .ulpOfOne / (1 - Double(n) * .ulpOfOne)
        #expect(abs(results[0].loss - results[1].loss) <= 2 * gamma * Double(n) * abs(results[0].loss))
        let scale = results[0].gradients.reduce(0) { max($0, abs($1)) }
        let worst = zip(results[0].gradients, results[1].gradients).reduce(0) { max($0, abs($1.0 - $1.1)) }
        #expect(scale > 0)
        #expect(worst <= 2 * gamma * Double(n) * scale, "gradient difference \(worst), scale \(scale)")
    }

    @Test("Training with 2 BLAS threads is reproducible bit for bit")
    func reproducibleWithThreads() throws {
        let saved = BLASThreading.threads
        defer { BLASThreading.threads = saved }
        BLASThreading.threads = 2
        var parameters: [[Double]] = []
        for _ in 0..<2 {
            let (trainer, validation) = try Self.trainer()
            _ = try trainer.train(
                TrainingConfiguration(traceCount: 256, batchSize: 64, workers: 2), validation: validation,
                makeSimulator: { _ in ConjugateLatents() })
            parameters.append(trainer.network.store.values)
        }
        #expect(parameters[0].count > 10_000)
        let differing = zip(parameters[0], parameters[1]).filter { $0 != $1 }.count
        #expect(differing == 0, "\(differing) parameters differ")
    }
}
