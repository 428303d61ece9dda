import Foundation
import LumisCompilation
import LumisCore
import LumisInference
import LumisNeural
import LumisSimulation
import LumisTensor
import LumisTestSupport
import Testing

/// What a network file records about its training (issue 15 part 5): the simulator's signature (model name,
/// observation shapes), the loss history and traces seen; and the checks inference and training make with it.
@Suite("Network metadata")
struct NetworkMetadataTests {
    /// A new trainer on `model` whose network carries `model`'s signature (as `lumis train` records it).
    static func signedTrainer(
        _ model: some Simulator & Sendable, seed: UInt64
    ) throws -> (Trainer, [TrainingExample]) {
        let (trainer, validation) = try Training.trainer(model, seed: seed, lstmHidden: 8, validationCount: 32)
        let example = try Trainer.sampleTraces(count: 1, seed: 1, workers: 1, makeSimulator: { _ in model }).traces[0]
        trainer.network.signature = SimulatorSignature(model: model.modelName, example: example)
        return (trainer, validation)
    }

    @Test("A validation records a point whose training loss is the mean of the minibatch losses since the last")
    func pointLossIsTheWindowMean() throws {
        let (trainer, validation) = try Self.signedTrainer(Branching(), seed: 5)
        // Two minibatches of 64 per validation; the progress after the first shows that batch's loss, the
        // report the second's.
        let firstBatchLoss = LossBox()
        let report = try trainer.train(
            TrainingConfiguration(traceCount: 128, batchSize: 64, validateEvery: 128, workers: 1),
            validation: validation, makeSimulator: { _ in Branching() },
            progress: { progress in
                if progress.completed == 64 {
                    #expect(!progress.isMilestone)
                    firstBatchLoss.value = progress.measures.first { $0.name == "loss" }?.value ?? nil
                }
            })
        #expect(report.rejectedTraces == 0)
        let first = try #require(firstBatchLoss.value)
        let second = try #require(report.loss)
        #expect(trainer.state.history.count == 1)
        let point = try #require(trainer.state.history.first)
        #expect(point.traces == 128)
        let mean = (first + second) / 2
        #expect(abs(try #require(point.loss) - mean) <= 1e-12 * abs(mean))
        // The validation loss is the validation set's loss under the network as it now is.
        let now = try #require(trainer.meanLoss(validation, batchSize: 64))
        #expect(point.validationLoss == now && trainer.state.validationLoss == now)
    }

    @Test("The history and traces seen of N + N traces with a resume equal those of 2N in one run")
    func resumeContinuesTheHistory() throws {
        let configuration = { (traces: Int) in
            TrainingConfiguration(traceCount: traces, batchSize: 64, validateEvery: 128, workers: 1)
        }
        let (whole, wholeValidation) = try Self.signedTrainer(Branching(), seed: 9)
        _ = try whole.train(configuration(512), validation: wholeValidation, makeSimulator: { _ in Branching() })
        #expect(whole.state.history.map(\.traces) == [128, 256, 384, 512])
        #expect(whole.state.history.allSatisfy { $0.loss != nil && $0.validationLoss != nil })

        let (first, validation) = try Self.signedTrainer(Branching(), seed: 9)
        _ = try first.train(configuration(256), validation: validation, makeSimulator: { _ in Branching() })
        let resumed = try NetworkFile.decode(NetworkFile.encode(first))
        #expect(resumed.state.history == first.state.history)
        let resumedValidation = try resumed.validationExamples(workers: 1, makeSimulator: { _ in Branching() })
        _ = try resumed.train(configuration(256), validation: resumedValidation, makeSimulator: { _ in Branching() })
        #expect(resumed.state.traces == 512)
        #expect(resumed.state.history == whole.state.history)
    }

    @Test("A file records the simulator's model, observations and addresses; earlier files read them as unknown")
    func fileRecordsTheSignature() throws {
        let (trainer, validation) = try Self.signedTrainer(GaussianUnknownMean(), seed: 3)
        _ = try trainer.train(
            TrainingConfiguration(traceCount: 64, batchSize: 32, workers: 1), validation: validation,
            makeSimulator: { _ in GaussianUnknownMean() })
        let signature = trainer.network.signature
        #expect(signature.model == "Gaussian with unknown mean")
        #expect(
            signature.observations == [.init(name: "obs0", shape: []), .init(name: "obs1", shape: [])])
        let read = try NetworkFile.decode(NetworkFile.encode(trainer))
        #expect(read.network.signature == signature)
        #expect(read.network.addresses == trainer.network.addresses && !read.network.addresses.isEmpty)
        #expect(read.state == trainer.state && read.state.traces == 64)
        #expect(read.state.history.map(\.traces) == [32, 64])
        let network = try NetworkFile.readNetwork(from: NetworkFileFixtureTests.path)
        #expect(network.signature.isUnknown)
        let old = try NetworkFile.read(from: NetworkFileFixtureTests.path)
        #expect(old.state.history.isEmpty && old.state.traces == 128)
        // A hostile description's shapes are refused like its sizes.
        var file = NetworkFile.parameterFile(trainer)
        let text = String(decoding: file.metadata, as: UTF8.self)
        file.metadata = Array(text.replacingOccurrences(of: "\"shape\":[]", with: "\"shape\":[-4]").utf8)
        #expect(text.contains("\"shape\":[]"))
        #expect {
            try NetworkFile.decode(file.encoded())
        } throws: { error in
            guard case .malformedHeader(let reason) = error as? NetworkFileError else { return false }
            return reason.contains("obs0")
        }
    }

    @Test("Observed values must have the shapes the network was trained on; one element is one element")
    func shapes() throws {
        let signature = SimulatorSignature(
            model: "m", observations: [.init(name: "image", shape: [3, 4]), .init(name: "y", shape: [])])
        let embedded = [ObservationEmbeddingSpec(name: "z", shape: [2])]
        let fits = ObservationSet([
            "image": Tensor(shape: [3, 4], scalars: [Double](repeating: 0, count: 12)),
            "y": Tensor(shape: [1], scalars: [2]), "z": Tensor(shape: [2], scalars: [0, 1]),
            "other": Tensor(shape: [5], scalars: [0, 0, 0, 0, 0]),
        ])
        try signature.checkShapes(of: fits, embedded: embedded)
        for (name, value, expected) in [
            ("image", Tensor(shape: [4, 3], scalars: [Double](repeating: 0, count: 12)), [3, 4]),
            ("y", Tensor(shape: [2], scalars: [1, 2]), []), ("z", Tensor(shape: [1, 2], scalars: [0, 1]), [2]),
        ] {
            var given = fits
            given[name] = value
            #expect(throws: NetworkMismatch.observationShape(name: name, network: expected, given: value.shape)) {
                try signature.checkShapes(of: given, embedded: embedded)
            }
        }
        let message = NetworkMismatch.observationShape(name: "image", network: [3, 4], given: [4, 3]).description
        #expect(message == "observation image has shape [4, 3]; the network was trained on shape [3, 4]")
    }

    @Test("IC and training refuse a simulator of another model before its first trace; unknown models pass")
    func modelCheck() throws {
        let (trainer, validation) = try Self.signedTrainer(GaussianUnknownMean(), seed: 4)
        let observations = ObservationSet(["obs0": Tensor(8.0), "obs1": Tensor(9.0)])
        let mismatch = NetworkMismatch.model(
            network: "Gaussian with unknown mean", simulator: "Gaussian with unknown mean (Marsaglia)")
        #expect(throws: mismatch) {
            try Training.infer(trainer, MarsagliaGaussianUnknownMean(), traces: 8, seed: 1, observations: observations)
        }
        #expect(throws: mismatch) {
            try trainer.train(
                TrainingConfiguration(traceCount: 32, batchSize: 32, workers: 1), validation: validation,
                makeSimulator: { _ in MarsagliaGaussianUnknownMean() })
        }
        #expect(trainer.state.traces == 0)
        // The same model runs; a network without a recorded model runs on anything (as before the check).
        let output = try Training.infer(trainer, GaussianUnknownMean(), traces: 8, seed: 1, observations: observations)
        #expect(output.posterior?.traceCount == 8)
        trainer.network.signature = .unknown
        let unchecked = try Training.infer(
            trainer, MarsagliaGaussianUnknownMean(), traces: 8, seed: 1, observations: observations)
        #expect(unchecked.posterior?.traceCount == 8)
    }
}

/// A value the training loop's progress callback sets (called on the training thread).
private final class LossBox {
    var value: Double?
}
