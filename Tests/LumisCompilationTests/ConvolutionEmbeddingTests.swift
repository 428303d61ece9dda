import Foundation
import LumisCompilation
import LumisCore
import LumisDistributions
import LumisInference
import LumisNeural
import LumisTensor
import Testing

/// A latent category `k` among three and a continuous shift `s` choose the mean of an image or volume observed
/// with Normal noise elementwise (`image ~ Normal(pattern_k + s, σ)`).
struct PatternModel: Simulator, Sendable {
    let modelName = "patterns"
    /// The observation's shape.
    let shape: [Int]
    /// Whether `s` is drawn (otherwise 0).
    let shifted: Bool
    let noise: Double

    /// The three 8×8 patterns of the acceptance test (for other shapes, index-based patterns): horizontal stripes,
    /// the same with a 2×2 block inverted (4 pixels differ), vertical stripes (32 pixels differ).
    func pattern(_ k: Int) -> [Double] {
        let count = shape.reduce(1, *)
        guard shape == [8, 8] else { return (0..<count).map { Double(($0 * (k + 2)) % 5) / 4 } }
        return (0..<count).map { index in
            let (i, j) = (index / 8, index % 8)
            switch k {
            case 0: return i % 2 == 0 ? 1 : 0
            case 1: return (3...4).contains(i) && (3...4).contains(j) ? (i % 2 == 0 ? 0 : 1) : (i % 2 == 0 ? 1 : 0)
            default: return j % 2 == 0 ? 1 : 0
            }
        }
    }

    func likelihood(k: Int, s: Double) -> Distribution {
        .normal(mean: Tensor(shape: shape, scalars: pattern(k).map { $0 + s }), stddev: Tensor(noise))
    }

    mutating func run(_ execution: inout TraceExecution) throws -> Tensor? {
        let k = try execution.sample(.categorical(probs: Tensor([1, 1, 1].map { $0 / 3.0 })), address: "k", name: "k")
        let s =
            shifted
            ? try execution.sample(.normal(mean: Tensor(0), stddev: Tensor(0.5)), address: "s", name: "s")
            : Tensor(0)
        try execution.observe(
            likelihood(k: Int(k.scalars[0]), s: s.scalars[0]), address: "image", name: "image", value: nil)
        return k
    }
}

/// Issue 4 item 4: 2D and 3D CNN observation embeddings.
@Suite("CNN observation embeddings", .serialized)
struct ConvolutionEmbeddingTests {
    /// A trainer whose network embeds `model`'s image with `architecture`, and a few training examples.
    static func network(
        _ model: PatternModel, architecture: ObservationEmbeddingSpec.Architecture, seed: UInt64,
        lstmHidden: Int = 6, learningRate: Double = 3e-3, validationCount: Int = 16, precision: Precision = .float64
    ) throws -> (Trainer, [TrainingExample]) {
        let state = TrainingState(
            seed: seed, schedule: LearningRateSchedule(kind: .none, initial: learningRate),
            validationCount: validationCount)
        let traces = try Trainer.sampleTraces(
            count: validationCount, seed: state.validationSeed, workers: 1, makeSimulator: { _ in model }
        ).traces
        let specs = try ObservationEmbeddingSpec.specs(
            for: [EmbeddingRequest(name: "image", architecture: architecture, dimension: 4)], example: traces[0],
            normalizingOver: traces)
        let network = InferenceNetwork(
            configuration: NetworkConfiguration(
                observations: specs, lstmHidden: lstmHidden, components: 2, seed: seed, precision: precision))
        let examples = try traces.map { try TrainingExample(trace: $0, observations: specs) }
        return (Trainer(network: network, optimizer: .adam(Adam(learningRate: learningRate)), state: state), examples)
    }

    @Test(
        "The whole network's loss gradient matches central differences with a 2D and a 3D observation",
        arguments: [
            // Parameters of the embedding and of its first convolution, by the documented layout: 2D [C=2, 5, 4]:
            // conv 8·(2·9+1) = 152, pool → 8×2×2, conv 16·(8·9+1) = 1168, pool → 16×1×1, dense 16→10→4 = 170 + 44.
            // 3D [C=2, 3, 4, 3]: conv 4·(2·27+1) = 220, pool → 4×1×2×1, conv 8·(4·27+1) = 872, pool → 8×1×1×1,
            // dense 8→6→4 = 54 + 28.
            ([2, 5, 4], ObservationEmbeddingSpec.Architecture.cnn2D, 1534, 152),
            ([2, 3, 4, 3], ObservationEmbeddingSpec.Architecture.cnn3D, 1174, 220),
        ])
    func gradient(
        shape: [Int], architecture: ObservationEmbeddingSpec.Architecture, embeddingParameters: Int,
        firstConvolution: Int
    ) throws {
        let model = PatternModel(shape: shape, shifted: true, noise: 0.7)
        let (trainer, batch) = try Self.network(model, architecture: architecture, seed: 11)
        let network = trainer.network
        #expect(network.configuration.observations[0].architecture == architecture)
        // The documented layout's size: the same network with a 1-element feed-forward embedding (16 parameters)
        // differs only in the embedding.
        var plain = network.configuration
        plain.observations = [
            ObservationEmbeddingSpec(name: "image", shape: [1], architecture: .feedForward, dimension: 4)
        ]
        let plainCount = InferenceNetwork(configuration: plain).parameterCount
        #expect(network.parameterCount - plainCount + 16 == embeddingParameters)
        network.polymorph(batch)
        network.store.zeroGradients()
        _ = network.evaluate(batch, gradients: true)
        let analytic = network.store.gradients
        // Every parameter of the first convolution gets gradient (taps of later convolutions that only ever see
        // padding rightly get none).
        #expect((0..<firstConvolution).allSatisfy { analytic[$0] != 0 }, "the gradient reaches the first layer")
        let live = (0..<embeddingParameters).filter { analytic[$0] != 0 }
        let count = Double(batch.count)
        func loss() -> Double { -(network.evaluate(batch, gradients: false).sumLogProposal ?? .nan) / count }
        var generator = SplitMix64(seed: 4)
        // The embedding's parameters come first in the store: check 40 with gradient, 20 anywhere in the
        // embedding, and 15 anywhere in the network.
        for draw in 0..<75 {
            let index =
                switch draw {
                case ..<40: live[Int(generator.next() % UInt64(live.count))]
                case ..<60: Int(generator.next() % UInt64(embeddingParameters))
                default: Int(generator.next() % UInt64(network.store.count))
                }
            expectCentralDifference(of: loss, parameter: index, in: network.store, analytic: analytic[index])
        }
        // The file round trip rebuilds the CNN layout.
        let reread = try NetworkFile.decode(NetworkFile.encode(trainer))
        #expect(reread.network.store.values == network.store.values)
        #expect(reread.network.configuration == network.configuration)
        // A version-1 description (which embedded CNN specs with the feed-forward stack) is refused.
        var old = NetworkFile.parameterFile(trainer)
        let text = try #require(String(bytes: old.metadata, encoding: .utf8))
        old.metadata = Array(text.replacingOccurrences(of: "\"version\":2", with: "\"version\":1").utf8)
        #expect(throws: NetworkFileError.self) { try NetworkFile.decode(old.encoded()) }
    }

    @Test("8×8 patterns: IC with a 2D CNN beats prior IS in ESS and matches the exact posterior")
    func patterns() throws {
        let model = PatternModel(shape: [8, 8], shifted: false, noise: 1)
        let (trainer, validation) = try Self.network(
            model, architecture: .cnn2D, seed: 12, lstmHidden: 16, learningRate: 3e-3, validationCount: 64,
            precision: .float32)
        let report = try trainer.train(
            TrainingConfiguration(traceCount: 4_000, batchSize: 32, workers: 2), validation: validation,
            makeSimulator: { _ in model })
        #expect(report.badLosses.isEmpty)
        // The observation: pattern 0 plus fixed standard normal noise.
        var generator = Xoshiro256StarStar(seed: 2026)
        let noise = Distribution.normal(mean: Tensor(0), stddev: Tensor(1))
        let pixels = model.pattern(0).map { $0 + noise.sample(using: &generator).scalars[0] }
        let image = Tensor(shape: [8, 8], scalars: pixels)
        let logJoint = (0..<3).map { model.likelihood(k: $0, s: 0).logProb(of: image) }
        let top = logJoint.max() ?? 0
        let unnormalised = logJoint.map { exp($0 - top) }
        let exact = unnormalised.map { $0 / unnormalised.reduce(0, +) }

        let traces = 1_000
        let observations = ObservationSet(["image": image])
        let output = try Training.infer(trainer, model, traces: traces, seed: 13, observations: observations)
        #expect(output.summary.ic?.priorFallbackDraws == 0)
        let posterior = try #require(output.posterior)
        let icESS = try #require(posterior.effectiveSampleSize)
        let prior = try Training.priorImportanceSampling(model, traces: traces, seed: 13, observations: observations)
        let priorESS = try #require(prior.effectiveSampleSize)
        print("patterns: exact \(exact), IC ESS \(icESS), prior IS ESS \(priorESS), trained in \(report.seconds) s")
        #expect(icESS > priorESS, "IC ESS \(icESS), prior IS ESS \(priorESS)")
        for k in 0..<3 {
            var estimate = 0.0
            for index in 0..<posterior.traceCount
            where posterior.store.value(of: .name("k"), inTrace: index)?.scalar == Double(k) {
                estimate += posterior.normalizedWeights[index]
            }
            let bound = 4 * (exact[k] * (1 - exact[k]) / icESS).squareRoot()
            #expect(abs(estimate - exact[k]) <= bound, "p(k = \(k)): \(estimate) vs \(exact[k]) (bound \(bound))")
        }
    }
}
