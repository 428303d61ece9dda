import Foundation
import LumisCompilation
import LumisCore
import LumisDistributions
import LumisNeural
import LumisTensor
import LumisTestSupport
import Testing

@Suite("InferenceNetwork")
struct NetworkTests {
    /// A few traces of the branching model (addresses r, s; varying lengths) and of the conjugate model.
    static func examples(_ model: some Simulator & Sendable, count: Int, trainer: Trainer) throws -> [TrainingExample] {
        try Trainer.sampleTraces(count: count, seed: 99, workers: 1, makeSimulator: { _ in model }).traces.map {
            try TrainingExample(trace: $0, observations: trainer.network.configuration.observations)
        }
    }

    /// The trainer's Adam optimizer.
    static func adam(_ trainer: Trainer) throws -> Adam {
        guard case .adam(let adam) = trainer.optimizer else { throw OptimizerMismatch() }
        return adam
    }

    struct OptimizerMismatch: Error {}

    @Test("The loss gradient matches central finite differences", arguments: [0, 1])
    func gradient(model: Int) throws {
        let simulator: any Simulator & Sendable = model == 0 ? Branching() : ConjugateLatents()
        let (trainer, _) = try Training.trainer(
            simulator, seed: 5, lstmHidden: 6, components: 2, embedding: 4,
            validationCount: 16)
        let network = trainer.network
        let batch = try Self.examples(simulator, count: 6, trainer: trainer)
        network.polymorph(batch)
        // Move off the initialisation so that ReLUs and mixtures are in a generic position.
        network.store.zeroGradients()
        _ = network.evaluate(batch, gradients: true)
        let analytic = network.store.gradients
        func loss() -> Double { -(network.evaluate(batch, gradients: false).sumLogProposal ?? .nan) / 6 }
        var generator = SplitMix64(seed: 3)
        var checked = 0
        for _ in 0..<60 {
            let index = Int(generator.next() % UInt64(network.store.count))
            expectCentralDifference(of: loss, parameter: index, in: network.store, analytic: analytic[index])
            checked += 1
        }
        #expect(checked == 60)
    }

    /// The observation embedding hoisted out of the LSTM's per-step input (computed once per trace) gives the loss
    /// and every parameter gradient of the reference computation that repeats it in every step's input, within the
    /// rounding bound derived in `HoistingBound` (LumisNeuralTests), applied to the network's longest sums.
    @Test("Hoisting the observation term leaves the loss and every gradient unchanged", arguments: [0, 1])
    func hoisting(model: Int) throws {
        let simulator: any Simulator & Sendable = model == 0 ? Branching() : ConjugateLatents()
        let (trainer, _) = try Training.trainer(
            simulator, seed: 8, lstmHidden: 6, components: 2, embedding: 4, validationCount: 16)
        let network = trainer.network
        let batch = try Self.examples(simulator, count: 12, trainer: trainer)
        network.polymorph(batch)
        func run(hoisting: Bool) -> (loss: Double, gradients: [Double]) {
            network.hoistsObservations = hoisting
            network.store.zeroGradients()
            let loss = network.evaluate(batch, gradients: true).sumLogProposal ?? .nan
            return (loss, network.store.gradients)
        }
        let reference = run(hoisting: false)
        let hoisted = run(hoisting: true)
        network.hoistsObservations = true
        let steps = batch.map(\.keys.count).max() ?? 0
        let n = steps * batch.count * (network.configuration.lstmInput + network.configuration.lstmHidden)
        let gamma = Double(n) * .ulpOfOne / (1 - Double(n) * .ulpOfOne)
        let lossBound = 2 * gamma * Double(n) * abs(reference.loss)
        #expect(abs(hoisted.loss - reference.loss) <= lossBound, "loss \(hoisted.loss) vs \(reference.loss)")
        let scale = reference.gradients.reduce(0) { max($0, abs($1)) }
        #expect(scale > 0)
        let worst = zip(hoisted.gradients, reference.gradients).reduce(0) { max($0, abs($1.0 - $1.1)) }
        #expect(worst <= 2 * gamma * Double(n) * scale, "gradient difference \(worst), scale \(scale)")
    }

    @Test("Sub-batches group traces by address sequence; new heads keep Adam's moments")
    func polymorphing() throws {
        let (trainer, _) = try Training.trainer(Branching(), seed: 6, lstmHidden: 4, embedding: 4, validationCount: 8)
        let network = trainer.network
        let batch = try Self.examples(Branching(), count: 64, trainer: trainer)
        let keyLists = Set(batch.map { $0.keys.map(\.description) })
        #expect(keyLists == [["r#1:Poisson"], ["r#1:Poisson", "s#1:Poisson"]])
        network.polymorph([batch.first { $0.keys.count == 1 }!])  // a one-address trace exists (checked above)
        network.store.zeroGradients()
        let outcome = network.evaluate(batch.filter { $0.keys.count == 1 }, gradients: true)
        #expect(outcome.subBatches == 1)
        trainer.optimizer.update(network.store)
        let moments = try Self.adam(trainer).firstMoments
        let before = network.store.count
        #expect(network.polymorph(batch) == 1)  // s
        #expect(network.store.count > before)
        network.store.zeroGradients()
        #expect(network.evaluate(batch, gradients: true).subBatches == 2)
        trainer.optimizer.update(network.store)
        let adam = try Self.adam(trainer)
        #expect(adam.firstMoments.count == network.store.count)
        // Old moments continued (β₁·m + (1 − β₁)·g), not restarted: they are not the fresh (1 − β₁)·g.
        let fresh = network.store.gradients.prefix(before).map { 0.1 * $0 }
        #expect(Array(adam.firstMoments.prefix(before)) != fresh)
        #expect(moments.count == before)
    }

    @Test("A network file round-trips exactly")
    func fileRoundTrip() throws {
        let (trainer, _) = try Training.train(Branching(), traces: 256, batchSize: 32, seed: 7, lstmHidden: 8)
        let bytes = NetworkFile.encode(trainer)
        let loaded = try NetworkFile.decode(bytes)
        #expect(loaded.network.configuration == trainer.network.configuration)
        #expect(loaded.network.addresses == trainer.network.addresses)
        #expect(loaded.network.store.values == trainer.network.store.values)
        #expect(loaded.optimizer == trainer.optimizer)
        #expect(loaded.state == trainer.state)
        #expect(NetworkFile.encode(loaded) == bytes)
    }

    @Test("Wrong, truncated, damaged and foreign files give clear errors")
    func fileErrors() throws {
        let (trainer, _) = try Training.train(Branching(), traces: 64, batchSize: 32, seed: 8, lstmHidden: 4)
        let bytes = NetworkFile.encode(trainer)
        #expect(throws: NetworkFileError.parameters(.wrongMagic)) {
            try NetworkFile.decode(Array("NOTANETWORKFILE!!!!!!".utf8))
        }
        var version = bytes
        version[8] = 9
        #expect(throws: NetworkFileError.parameters(.unsupportedVersion(found: 9, supported: 2))) {
            try NetworkFile.decode(version)
        }
        for cut in [0, 5, 12, 30, bytes.count / 2, bytes.count - 1] {
            do {
                _ = try NetworkFile.decode(Array(bytes.prefix(cut)))
                Issue.record("a file cut to \(cut) bytes must be rejected")
            } catch {
                guard case .parameters(.truncated) = error else {
                    Issue.record("cut to \(cut): expected truncated, got \(error)")
                    continue
                }
            }
        }
        var damaged = bytes
        damaged[bytes.count / 2] ^= 0x40
        do {
            _ = try NetworkFile.decode(damaged)
            Issue.record("a damaged file must be rejected")
        } catch {
            guard case .parameters(.checksumMismatch) = error else { Issue.record("got \(error)"); return }
        }
        // A parameter file that is not a network, and a network description of another version.
        let plain = ParameterFile(store: trainer.network.store, metadata: Array("weights".utf8))
        #expect(throws: NetworkFileError.notANetwork) { try NetworkFile.decode(plain.encoded()) }
        var future = NetworkFile.parameterFile(trainer)
        let text = try #require(String(bytes: future.metadata, encoding: .utf8))
        future.metadata = Array(text.replacingOccurrences(of: "\"version\":2", with: "\"version\":7").utf8)
        #expect(throws: NetworkFileError.unsupportedVersion(7, supported: 2)) {
            try NetworkFile.decode(future.encoded())
        }
        // A description whose sizes disagree with the parameters is rejected before the network is built.
        var lying = NetworkFile.parameterFile(trainer)
        lying.metadata = Array(text.replacingOccurrences(of: "\"lstmHidden\":4", with: "\"lstmHidden\":60000").utf8)
        do {
            _ = try NetworkFile.decode(lying.encoded())
            Issue.record("a description that does not fit the parameters must be rejected")
        } catch {
            guard case .layoutMismatch = error else { Issue.record("got \(error)"); return }
        }
        do {
            _ = try NetworkFile.read(from: "/nonexistent/net.lumisnet")
            Issue.record("a missing file must be rejected")
        } catch {
            guard case .inFile(_, .parameters(.system)) = error else { Issue.record("got \(error)"); return }
        }
    }

    @Test("Resuming from a checkpoint continues exactly as an uninterrupted run")
    func resume() throws {
        let (whole, wholeValidation) = try Training.trainer(Branching(), seed: 9, lstmHidden: 8, validationCount: 32)
        _ = try whole.train(
            TrainingConfiguration(traceCount: 512, batchSize: 64, workers: 2), validation: wholeValidation,
            makeSimulator: { _ in Branching() })
        let (first, validation) = try Training.trainer(Branching(), seed: 9, lstmHidden: 8, validationCount: 32)
        _ = try first.train(
            TrainingConfiguration(traceCount: 256, batchSize: 64, workers: 1), validation: validation,
            makeSimulator: { _ in Branching() })
        let resumed = try NetworkFile.decode(NetworkFile.encode(first))
        let resumedValidation = try resumed.validationExamples(workers: 1, makeSimulator: { _ in Branching() })
        _ = try resumed.train(
            TrainingConfiguration(traceCount: 256, batchSize: 64, workers: 2), validation: resumedValidation,
            makeSimulator: { _ in Branching() })
        #expect(resumed.state.traces == 512)
        #expect(resumed.optimizer.step == whole.optimizer.step)
        #expect(resumed.network.store.values == whole.network.store.values)
        #expect(resumed.optimizer == whole.optimizer)
    }
}

/// A network file written by `lumis train` before float32 parameters (format 2, float64 parameters and Adam
/// moments; gum, LSTM 8, 2 components, embeddings 4): files from then must keep loading.
@Suite("Network file fixture")
struct NetworkFileFixtureTests {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/gum-network-float64.lumisnet").path

    @Test("A float64 network file written by an earlier build loads, with its sizes and finite parameters")
    func loadsFloat64File() throws {
        let trainer = try NetworkFile.read(from: Self.path)
        let configuration = trainer.network.configuration
        #expect(configuration.lstmHidden == 8 && configuration.components == 2)
        #expect(configuration.addressEmbedding == 4 && configuration.sampleEmbedding == 2)
        #expect(configuration.observations.map(\.name) == ["obs0", "obs1"])
        #expect(trainer.network.addresses.count == 1)
        #expect(trainer.network.parameterCount == 1258)
        #expect(trainer.network.store.values.allSatisfy { $0.isFinite })
        #expect(trainer.state.traces == 128 && trainer.state.seed == 7)
        // Written before the precision was recorded: the products are float64.
        #expect(configuration.precision == .float64)
    }

    @Test("The network description is written byte for byte as main at 2013fb8 wrote it for the same trainer")
    func sameDescriptionBytes() throws {
        let trainer = try NetworkFile.read(from: Self.path)
        let expected = URL(fileURLWithPath: Self.path).deletingLastPathComponent()
            .appendingPathComponent("gum-network-header-2013fb8.json")
        #expect(NetworkFile.parameterFile(trainer).metadata == Array(try Data(contentsOf: expected)))
    }

    @Test("Inference's network-only view of the file holds the trainer's network exactly")
    func networkOnlyView() throws {
        let trainer = try NetworkFile.read(from: Self.path)
        let network = try NetworkFile.readNetwork(from: Self.path)
        #expect(network.configuration == trainer.network.configuration)
        #expect(network.addresses == trainer.network.addresses)
        #expect(network.store.values == trainer.network.store.values)
        let missing = #expect(throws: NetworkFileError.self) { try NetworkFile.readNetwork(from: Self.path + ".x") }
        #expect(missing?.description.contains(Self.path + ".x") == true)
    }

    @Test(
        "A float32 network stores Float parameters and moments, half a float64 file's payload, and resumes in float32")
    func recordsPrecision() throws {
        var sizes: [Precision: (file: Int, parameters: Int)] = [:]
        for precision in Precision.allCases {
            let (trainer, _) = try Training.train(
                Branching(), traces: 128, batchSize: 32, seed: 4, lstmHidden: 4, embedding: 4,
                precision: precision)
            #expect(trainer.network.store.precision == precision)
            let file = NetworkFile.parameterFile(trainer)
            #expect(file.precision == precision)
            let bytes = file.encoded()
            let read = try NetworkFile.decode(bytes)
            #expect(read.network.configuration.precision == precision)
            #expect(read.network.configuration == trainer.network.configuration)
            #expect(read.network.store.precision == precision)
            #expect(read.network.store.values == trainer.network.store.values)
            #expect(read.optimizer == trainer.optimizer)
            #expect(NetworkFile.encode(read) == bytes)
            sizes[precision] = (bytes.count - file.metadata.count, trainer.network.parameterCount)
        }
        // Besides the description: values and Adam's two moments, 4 bytes each instead of 8.
        let (file64, file32) = (try #require(sizes[.float64]), try #require(sizes[.float32]))
        #expect(file64.parameters == file32.parameters)
        #expect(file64.file - file32.file == 12 * file32.parameters)
    }

    /// What the default `--precision float32` wrote before float32 storage: parameter format 1 (float64 values and
    /// moments) with `"precision":"float32"` in the description (this fixture is the float64 one with that field
    /// added and its length and checksum recomputed).
    @Test("A file with float64 parameters and a float32 configuration loads converted to float32")
    func convertsMixedFile() throws {
        let mixedPath = URL(fileURLWithPath: Self.path).deletingLastPathComponent()
            .appendingPathComponent("gum-network-mixed-v1.lumisnet").path
        let mixed = try NetworkFile.read(from: mixedPath)
        let reference = try NetworkFile.read(from: Self.path)
        #expect(mixed.network.configuration.precision == .float32)
        #expect(mixed.network.store.precision == .float32)
        #expect(mixed.network.store.values == reference.network.store.values.map { Double(Float($0)) })
        // Adam's float64 moments become float32 at the next update; written back, the file is float32.
        let written = try ParameterFile(decoding: NetworkFile.encode(mixed))
        #expect(written.precision == .float32)
    }
}
