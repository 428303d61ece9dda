import Foundation
import LumisCompilation
import LumisCore
import LumisDistributions
import LumisInference
import LumisSimulation
import LumisTensor
import LumisTestSupport
import Synchronization
import Testing

/// The C++ `calorimeter` simulator (docs/calorimeter.md) over PPX: prior traces, `lumis train` with a 3D CNN
/// embedding then `lumis infer --engine ic`, and importance sampling against the exact posterior over the decay
/// channel when the kinematics are fixed.
@Suite("Calorimeter simulator over PPX", .serialized, .timeLimit(.minutes(3)))
struct CalorimeterTests {
    /// Collects the traces of a ``TraceSampler`` run in index order.
    final class TraceBox: Sendable {
        private let traces = Mutex<[Trace]>([])

        func append(_ more: [Trace]) { traces.withLock { $0.append(contentsOf: more) } }
        func take() -> [Trace] { traces.withLock { $0 } }
    }

    static func command(_ options: String) throws -> String {
        "\(try Executables.simulator("calorimeter")) {endpoint} \(options)"
    }

    @Test("(a) Prior traces: variable length, channel frequencies within 5σ of the branching fractions, 3D image")
    func priorTraces() throws {
        let traceCount = 4_000
        let makeSimulator = try SimulatorSource.launch(command: try Self.command("--grid 6x10x10"))
            .simulatorFactory(timeout: .seconds(30))
        let sampler = TraceSampler(
            configuration: TraceSampler.Configuration(mode: .simulateObservations, traceCount: traceCount, seed: 71))
        let box = TraceBox()
        let report = try sampler.run(workers: 2, makeSimulator: makeSimulator) { _, traces in box.append(traces) }
        let traces = box.take()
        #expect(traces.count == traceCount && report.discardedTraces == 0)
        #expect(report.modelName == "Tau decay in a calorimeter")

        let channelEntry = try #require(traces.first?.entries.first { $0.name == "channel" })
        guard case .categorical(let probsTensor)? = channelEntry.distribution else {
            Issue.record("channel is not a Categorical: \(String(describing: channelEntry.distribution))")
            return
        }
        let probs = Array(probsTensor.scalars)
        #expect(probs.count == 29 && abs(probs.reduce(0, +) - 1) < 1e-12)

        var counts = [Int](repeating: 0, count: probs.count)
        var lengths: [Int] = []
        var addresses = Set<String>(), addressInstances = Set<String>()
        for trace in traces {
            let samples = trace.entries.filter { $0.kind == .sample }
            lengths.append(samples.count)
            for entry in samples {
                addresses.insert(entry.address)
                addressInstances.insert("\(entry.address)#\(entry.instance)")
            }
            let channel = try #require(trace[name: "channel"]?.scalar)
            counts[Int(channel)] += 1
            let observes = trace.entries.filter { $0.kind == .observe }
            #expect(observes.count == 1 && observes.first?.name == "calo")
            let image = try #require(observes.first?.value)
            #expect(image.shape == [6, 10, 10])
            let finite = trace.entries.allSatisfy { $0.value.scalars.allSatisfy(\.isFinite) && !$0.logProb.isNaN }
            #expect(finite && trace.logWeight.isFinite)
            // The one-hot result marks the channel.
            #expect(trace.result?.scalars[Int(channel)] == 1 && trace.result?.scalars.reduce(0, +) == 1)
        }
        let lengthMean = Double(lengths.reduce(0, +)) / Double(lengths.count)
        // Draws: 3 momenta + channel + n_extra at least; a 3-prong decay with pile-up reaches dozens.
        #expect(lengths.min()! >= 7 && lengths.max()! >= 40 && lengthMean >= 15, "lengths \(lengths.min()!)...")
        // 15 call sites; repeated in loops they give dozens of (address, instance) pairs, each a proposal head.
        #expect(addresses.count == 15 && addressInstances.count >= 40, "\(addressInstances.count) addresses")
        print(
            "calorimeter prior traces: draws per trace min \(lengths.min()!), mean \(lengthMean), "
                + "max \(lengths.max()!); \(addresses.count) call sites, \(addressInstances.count) address instances")

        // Binomial 5σ bound per channel expected at least 10 times; the rarer ones are pooled into one bin.
        let n = Double(traceCount)
        var pooledProbability = 0.0, pooledCount = 0
        for (channel, p) in probs.enumerated() {
            if p * n < 10 {
                pooledProbability += p
                pooledCount += counts[channel]
                continue
            }
            let frequency = Double(counts[channel]) / n
            #expect(
                abs(frequency - p) <= 5 * (p * (1 - p) / n).squareRoot(), "channel \(channel): \(frequency) vs \(p)")
        }
        let pooled = Double(pooledCount) / n
        let pooledBound = 5 * (pooledProbability * (1 - pooledProbability) / n).squareRoot()
        #expect(abs(pooled - pooledProbability) <= pooledBound, "rare channels: \(pooled) vs \(pooledProbability)")
    }

    /// Runs `lumis` and fails with its standard error unless it exits with 0.
    static func lumis(_ arguments: [String]) throws -> Executables.Outcome {
        let outcome = try Executables.run(try Executables.lumis(), arguments)
        guard outcome.status == 0 else {
            throw Executables.Missing(
                description: "lumis \(arguments.first ?? "") failed (\(outcome.status)): \(outcome.standardError)")
        }
        return outcome
    }

    @Test("(b) lumis train with a 3D CNN embedding of calo, then lumis infer --engine ic on a simulated image")
    func trainAndInfer() throws {
        let directory = try Executables.temporaryDirectory("calorimeter-ic")
        defer { try? FileManager.default.removeItem(at: directory) }
        let options = "--grid 6x10x10 --noise 0.5"
        let launch = try Self.command(options)
        let network = directory.appendingPathComponent("calo.lumisnet").path
        _ = try Self.lumis([
            "train", "--launch", launch, "--workers", "2", "--traces", "384", "--batch-size", "32",
            "--lstm-hidden", "16", "--embedding-dim", "8", "--observe-embedding", "calo:cnn3d",
            "--validation-traces", "32", "--seed", "72", "--no-progress", "--out", network,
        ])
        let embedding = try NetworkFile.read(from: network).network.configuration.observations
        #expect(embedding.map(\.name) == ["calo"] && embedding.first?.architecture == .cnn3D)
        #expect(embedding.first?.shape == [6, 10, 10])

        // One simulated calorimeter image, written by the simulator as an observation file.
        let simulated = try Executables.run(
            try Executables.simulator("calorimeter"),
            ["--simulate", "5"] + options.split(separator: " ").map(String.init))
        #expect(simulated.status == 0 && simulated.standardError.hasPrefix("truth: channel"))
        let observationFile = directory.appendingPathComponent("observation.json")
        try simulated.standardOutput.write(to: observationFile, atomically: true, encoding: .utf8)

        let posteriorPath = directory.appendingPathComponent("posterior.json").path
        let traces = 200
        _ = try Self.lumis([
            "infer", "--engine", "ic", "--network", network, "--launch", launch, "--workers", "2",
            "--traces", "\(traces)", "--seed", "73", "--observe-file", observationFile.path, "--out", posteriorPath,
            "--no-progress",
        ])
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: posteriorPath)))
                as? [String: Any])
        #expect((json["traces"] as? NSNumber)?.intValue == traces)
        let observations = try #require(json["observations"] as? [String: Any])
        #expect(((observations["calo"] as? [String: Any])?["shape"] as? [NSNumber])?.map(\.intValue) == [6, 10, 10])
        let ic = try #require(json["ic"] as? [String: Any])
        let controlled = try #require((ic["controlled_draws"] as? NSNumber)?.intValue)
        #expect(controlled >= 5 * traces)
        // The result is the one-hot channel, so its posterior mean is the posterior over the 29 channels.
        let result = try #require(json["result"] as? [String: Any])
        let channelPosterior = try #require((result["mean"] as? [NSNumber])?.map(\.doubleValue))
        #expect(channelPosterior.count == 29)
        #expect(channelPosterior.allSatisfy { $0 >= 0 && $0 <= 1 + 1e-12 })
        #expect(abs(channelPosterior.reduce(0, +) - 1) < 1e-9)
        let variables = try #require(json["variables"] as? [String: Any])
        let channelMean = try #require(((variables["channel"] as? [String: Any])?["mean"] as? NSNumber)?.doubleValue)
        let expectedMean = channelPosterior.enumerated().map { Double($0) * $1 }.reduce(0, +)
        #expect(abs(channelMean - expectedMean) < 1e-9)
        for name in ["px", "py", "pz", "n_extra", "visible_energy"] { #expect(variables[name] != nil, "\(name)") }

        let summary = try Self.lumis(["summary", posteriorPath])
        for name in ["channel ", "px ", "pz ", "n_extra "] {
            #expect(summary.standardOutput.split(separator: "\n").contains { $0.hasPrefix(name) }, "\(name)")
        }
    }

    @Test("(c) Fixed kinematics: importance sampling matches the exact posterior over the channel by enumeration")
    func exactChannelPosterior() throws {
        // With --fixed-kinematics the channel is the only draw, so p(c | y) ∝ π_c · N(y; μ_c, σ²I) exactly, with
        // the noiseless images μ_c printed by --channel-means.
        let noise = 4.0, options = ["--grid", "4x3x3", "--noise", "\(noise)"]
        let table = try Executables.run(try Executables.simulator("calorimeter"), ["--channel-means"] + options)
        #expect(table.status == 0, "\(table.standardError)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(table.standardOutput.utf8)) as? [String: Any])
        let prior = try #require((json["probs"] as? [NSNumber])?.map(\.doubleValue))
        let means = try #require((json["means"] as? [[NSNumber]])?.map { $0.map(\.doubleValue) })
        #expect(prior.count == 29 && means.count == 29 && means.allSatisfy { $0.count == 36 })

        // The observed image: channel 5 (pi- pi0 nu) plus Normal(0, σ) noise from a fixed stream.
        var generator = Xoshiro256StarStar(seed: 74)
        let standardNormal = Distribution.normal(mean: Tensor(0), stddev: Tensor(1))
        let image = means[5].map { $0 + noise * standardNormal.sampleScalar(using: &generator) }
        var logPosterior: [Double] = []
        for (p, mean) in zip(prior, means) {
            var squares = 0.0
            for (y, m) in zip(image, mean) { squares += (y - m) * (y - m) }
            logPosterior.append(log(p) - squares / (2 * noise * noise))
        }
        let top = logPosterior.max()!
        let unnormalized = logPosterior.map { exp($0 - top) }
        let exact = unnormalized.map { $0 / unnormalized.reduce(0, +) }

        let run = InferenceRun(
            engine: .importanceSampling,
            source: .launch(command: try Self.command("--fixed-kinematics " + options.joined(separator: " "))),
            traceCount: 20_000, workers: 2, seed: 75,
            observations: ObservationSet(["calo": Tensor(shape: [4, 3, 3], scalars: image)]))
        let posterior = try #require(try run.run()?.posterior)
        let ess = try #require(posterior.effectiveSampleSize)
        var estimate = [Double](repeating: 0, count: 29)
        for index in 0..<posterior.traceCount {
            let channel = try #require(posterior.store.value(of: .name("channel"), inTrace: index)?.scalar)
            estimate[Int(channel)] += posterior.normalizedWeights[index]
        }
        print("calorimeter exact posterior: \(exact.enumerated().filter { $1 > 0.01 }), ESS \(ess)")
        // Not a degenerate case: several channels share the posterior.
        #expect(exact.filter { $0 > 0.05 }.count >= 2 && exact.max()! < 0.95)
        for channel in 0..<29 {
            let p = exact[channel]
            #expect(abs(estimate[channel] - p) <= 4 * (p * (1 - p) / ess).squareRoot(), "channel \(channel)")
        }
    }
}
