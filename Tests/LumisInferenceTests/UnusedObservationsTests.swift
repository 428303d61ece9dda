import LumisCore
import LumisDistributions
import LumisInference
import LumisTensor
import LumisTestSupport
import Synchronization
import Testing

/// `InferenceRun`'s bookkeeping of given observations the simulator does not observe, with a model whose
/// observation names vary between traces: the first trace is judged (warning or, strict, error), the posterior
/// file lists only names no trace observed.
@Suite("Unused observations")
struct UnusedObservationsTests {
    /// Observes `y` in every trace and `later` in every trace but its first (on each worker).
    struct LateObserver: Simulator, Sendable {
        let modelName = "late observer"
        var tracesRun = 0

        mutating func run(_ execution: inout TraceExecution) throws -> Tensor? {
            let mu = try execution.sample(.normal(mean: Tensor(0), stddev: Tensor(1)), address: "mu", name: "mu")
            let likelihood = Distribution.normal(mean: mu, stddev: Tensor(1))
            try execution.observe(likelihood, address: "y", name: "y", value: nil)
            if tracesRun > 0 { try execution.observe(likelihood, address: "later", name: "later", value: nil) }
            tracesRun += 1
            return mu
        }
    }

    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
    }

    static let observations = ObservationSet(["y": Tensor(0.5), "later": Tensor(1.0), "typo": Tensor(2.0)])

    @Test(
        "The first trace's missing names are warned about once; the file lists only names never observed",
        arguments: [InferenceRun.Engine.prior, .importanceSampling, .lmh, .rmh(stepSize: 1)])
    func warnAndList(engine: InferenceRun.Engine) throws {
        var run = InferenceRun(
            engine: engine, traceCount: 50, workers: 1, seed: 3, observations: Self.observations,
            makeSimulator: { _ in LateObserver() })
        run.chains = InferenceRun.Chains(count: 1, burnIn: 5)
        let warnings = Lines()
        let outcome = try #require(try run.run(warning: { warnings.append($0) }))
        let lines = warnings.lines.withLock { $0 }
        #expect(lines.count == 1, "\(engine.name): \(lines)")
        #expect(lines.first?.hasPrefix("warning: the simulator's first trace did not observe 'later', 'typo'") == true)
        #expect(outcome.summary.metadata.unusedObservations == ["typo"], "\(engine.name)")
        #expect(outcome.summary.jsonText().contains("\"unused_observations\":[\"typo\"]"))
    }

    @Test("Strict: the first trace's missing names are an error, before any output")
    func strict() throws {
        for engine in [InferenceRun.Engine.importanceSampling, .lmh] {
            var run = InferenceRun(
                engine: engine, traceCount: 50, workers: 1, seed: 3, observations: Self.observations,
                makeSimulator: { _ in LateObserver() })
            run.chains = InferenceRun.Chains(count: 1, burnIn: 5)
            run.rejectsUnusedObservations = true
            let error = #expect(throws: InferenceRunError.self, "\(engine.name)") { _ = try run.run() }
            #expect(error?.kind == .request)
            #expect(error?.description.contains("'later', 'typo'") == true, "\(String(describing: error))")
            #expect(error?.description.hasSuffix("--strict-observations refuses it") == true)
        }
    }

    @Test("Observations every trace makes leave no list and no key in the file")
    func allUsed() throws {
        let run = InferenceRun(
            engine: .importanceSampling, traceCount: 20, seed: 3,
            observations: ObservationSet(["obs0": Tensor(8), "obs1": Tensor(9)]),
            makeSimulator: { _ in GaussianUnknownMean() })
        let warnings = Lines()
        let outcome = try #require(try run.run(warning: { warnings.append($0) }))
        #expect(warnings.lines.withLock { $0 }.isEmpty)
        #expect(outcome.summary.metadata.unusedObservations.isEmpty)
        #expect(!outcome.summary.jsonText().contains("unused_observations"))
    }
}
