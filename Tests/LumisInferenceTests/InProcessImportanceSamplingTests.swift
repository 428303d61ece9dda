import LumisCore
import LumisInference
import LumisSimulation
import LumisTensor
import LumisTestSupport
import Testing

/// Acceptance (a): importance sampling on the in-process Gaussian model against the exact posterior.
@Suite("Importance sampling, in process")
struct InProcessImportanceSamplingTests {
    static func run(
        _ model: some Simulator & Sendable, traces: Int, observations: [String: Double], seed: UInt64 = 1,
        workers: Int = 1, mode: TraceExecution.Mode = .posterior
    ) throws -> JobOutput {
        let sampler = TraceSampler(
            configuration: .init(
                mode: mode, traceCount: traces, seed: seed,
                observations: ObservationSet(observations.mapValues { Tensor($0) }), chunkSize: 4096))
        let store = StoreBox()
        let report = try sampler.run(workers: workers, makeSimulator: { _ in model }) { _, traces in
            store.append(traces)
        }
        return JobOutput(store: store.take(), weighting: mode == .prior ? .uniform : .importance, report: report)
    }

    @Test("GUM, 1,000,000 traces: posterior mean, stddev and ESS/N match the exact values")
    func gaussianMillion() throws {
        let observed = [8.0, 9.0]
        let output = try Self.run(
            GaussianUnknownMean(), traces: 1_000_000, observations: ["obs0": observed[0], "obs1": observed[1]])
        let posterior = output.posterior
        let exact = ExactPosteriors.gaussianUnknownMean(observations: observed)
        let ess = try #require(posterior.effectiveSampleSize)
        let statistics = try posterior.statistics(of: .name("mu"))
        // Standard errors of a self-normalised IS estimate: σ/√ESS for the mean, σ/√(2·ESS) for the stddev of a
        // Normal; bounds at 4 standard errors.
        #expect(abs(statistics.mean[0] - exact.mean) <= 4 * exact.stddev / ess.squareRoot())
        #expect(abs(statistics.stddev[0] - exact.stddev) <= 4 * exact.stddev / (2 * ess).squareRoot())
        let expectedFraction = ExactPosteriors.gaussianUnknownMeanESSFraction(observations: observed)
        #expect(abs(expectedFraction - 0.0078) < 0.0005)  // the "about 0.0078"
        #expect(abs(ess / 1_000_000 - expectedFraction) <= 0.1 * expectedFraction)
    }
}
