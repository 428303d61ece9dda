import Foundation
import LumisCore
import LumisDatasets
import LumisDistributions
import LumisSimulation
import LumisTensor
import LumisTestSupport
import Synchronization
import Testing

/// A model that uses every feature a trace can hold: repeated addresses, uncontrolled samples, vector and matrix
/// values, tags with odd values (−0, NaN, ±∞, empty, large integers), a fixed and a simulated observation,
/// varying trace types, parameters with more distinct values than a site interns, and no result on some traces.
struct Assorted: Simulator, Sendable {
    let modelName = "Assorted"

    mutating func run(_ execution: inout TraceExecution) throws -> Tensor? {
        let count = Int(try execution.sample(.poisson(rate: Tensor(2)), address: "count", name: "count").scalars[0])
        var total = 0.0
        for _ in 0..<min(count, 6) {
            total += try execution.sample(.normal(mean: Tensor(total), stddev: Tensor(1)), address: "step").scalars[0]
        }
        let noise = try execution.sample(
            .uniform(low: Tensor(0), high: Tensor(1)), address: "noise", name: "noise", isControlled: false)
        let vector = try execution.sample(
            .normal(mean: Tensor([total, -1, 2]), stddev: Tensor([1, 2, 3])), address: "vector", name: "vector")
        let probs = Tensor([0.2, 0.3, 0.5])
        _ = try execution.sample(.categorical(probs: probs), address: "choice", name: "choice")
        execution.tag(Tensor(shape: [2, 3], scalars: [-0.0, .nan, .infinity, -.infinity, 1e300, 4]), address: "odd")
        execution.tag(Tensor(shape: [0], scalars: []), address: "empty", name: "empty")
        execution.tag(Tensor(18_014_398_509_481_984), address: "big", name: "big")
        execution.tag(Tensor(-0.0), address: "negative zero")
        try execution.observe(
            .normal(mean: Tensor(vector.scalars[0]), stddev: Tensor(0.5 + noise.scalars[0])), address: "y", name: "y",
            value: nil)
        try execution.observe(
            .normal(mean: Tensor(total), stddev: Tensor(1)), address: "fixed", name: "fixed", value: nil)
        if count % 3 == 0 { return nil }
        return Tensor(shape: [2, 2], scalars: [total, noise.scalars[0], Double(count), -0.0])
    }
}

/// The bits of a tensor, so that −0 and NaN compare exactly.
func bits(_ tensor: Tensor?) -> [UInt64]? {
    tensor.map { $0.shape.map { UInt64($0) } + [UInt64.max] + $0.scalars.map(\.bitPattern) }
}

func bits(_ distribution: Distribution?) -> [[UInt64]?]? {
    distribution.map { [[UInt64($0.kind.rawValue)]] + $0.parameters.map { bits($0) } }
}

/// Expects two traces to agree in every field, bit for bit.
func expectIdentical(_ a: Trace, _ b: Trace, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.entries.count == b.entries.count, "\(label): entry count", sourceLocation: sourceLocation)
    #expect(bits(a.result) == bits(b.result), "\(label): result", sourceLocation: sourceLocation)
    #expect(
        [a.logWeight, a.logLikelihood, a.logPrior].map(\.bitPattern)
            == [b.logWeight, b.logLikelihood, b.logPrior].map(\.bitPattern),
        "\(label): log weights", sourceLocation: sourceLocation)
    for (index, (x, y)) in zip(a.entries, b.entries).enumerated() {
        let same =
            x.kind == y.kind && x.address == y.address && x.instance == y.instance && x.name == y.name
            && x.isControlled == y.isControlled && x.logProb.bitPattern == y.logProb.bitPattern
            && bits(x.value) == bits(y.value) && bits(x.distribution) == bits(y.distribution)
        #expect(same, "\(label): entry \(index) \(x.address) differs", sourceLocation: sourceLocation)
    }
}

/// `trace` as a dataset without likelihoods stores it: observe entries without their distributions.
func withoutLikelihoods(_ trace: Trace) -> Trace {
    var stripped = trace
    for index in stripped.entries.indices where stripped.entries[index].kind == .observe {
        stripped.entries[index].distribution = nil
    }
    return stripped
}

/// Collects traces in order from a sampler's consumer.
final class TraceList: Sendable {
    private let traces = Mutex<[Trace]>([])
    func append(_ batch: [Trace]) { traces.withLock { $0.append(contentsOf: batch) } }
    var all: [Trace] { traces.withLock { $0 } }
}

enum Fixtures {
    static let fixed = ObservationSet(["fixed": Tensor(0.25)])

    /// The reference: traces `0..<count` of `seed` sampled directly, as `lumis train` samples them.
    static func referenceTraces(
        count: Int, seed: UInt64, observations: ObservationSet = ObservationSet(),
        makeSimulator: @escaping @Sendable (Int) throws -> any Simulator
    ) throws -> [Trace] {
        let list = TraceList()
        _ = try TraceSampler(
            configuration: TraceSampler.Configuration(
                mode: .simulateObservations, traceCount: count, seed: seed, observations: observations)
        ).run(workers: 1, makeSimulator: makeSimulator) { _, batch in list.append(batch) }
        return list.all
    }

    /// A simulator factory that launches a bundled C++ simulator per worker.
    static func launching(_ name: String) throws -> @Sendable (Int) throws -> any Simulator {
        try launching(command: try Executables.simulator(name) + " {endpoint}")
    }

    /// A simulator factory that launches `command` (with `{endpoint}`) per worker.
    static func launching(command: String) throws -> @Sendable (Int) throws -> any Simulator {
        try SimulatorSource.launch(command: command).simulatorFactory(timeout: .seconds(30))
    }

    /// Writes a dataset of `Assorted` (whole traces if `keepsLikelihoods`) and returns its directory.
    static func assorted(
        traces: Int, shardTraces: Int, seed: UInt64 = 5, workers: Int = 1, keepsLikelihoods: Bool, label: String
    ) throws -> URL {
        let directory = try Executables.temporaryDirectory(label)
        let writer = DatasetWriter(
            directory: directory.path,
            configuration: DatasetWriter.Configuration(
                traceCount: traces, seed: seed, shardTraces: shardTraces, observations: fixed,
                keepsLikelihoods: keepsLikelihoods),
            resume: false)
        _ = try writer.write(workers: workers) { _ in Assorted() }
        return directory
    }

    /// The bytes of every file in `directory` by name.
    static func files(_ directory: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            result[name] = try Data(contentsOf: directory.appendingPathComponent(name))
        }
        return result
    }

    /// The shard files' bytes by name.
    static func shards(_ directory: URL) throws -> [String: Data] {
        try files(directory).filter { $0.key.hasPrefix("shard-") }
    }
}
