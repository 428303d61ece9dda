import Foundation
import LumisCore
import LumisDistributions
import LumisInference
import LumisSimulation
import LumisStorage
import LumisTensor
import LumisTestSupport
import Testing

@Suite("Simulation-based calibration, in process")
struct CalibrationTests {
    static func report(
        _ model: some Simulator & Sendable, engine: InferenceRun.Engine, events: Int, traces: Int,
        seed: UInt64 = 7, workers: Int = 1
    ) throws -> CalibrationReport {
        let calibration = Calibration(eventCount: events, tracesPerEvent: traces, seed: seed, workers: workers)
        let output = try calibration.run(events: 0..<events, engine: engine, makeSimulator: { _ in model })
        return CalibrationReport(
            engine: engine.name, model: output.modelName, seed: seed, tracesPerEvent: traces, events: output.events)
    }

    /// One draw named `k` with the given value and log weight, as an engine's trace.
    static func trace(_ value: Double, logWeight: Double, categorical: Bool = false) -> Trace {
        var trace = Trace()
        let prior: Distribution =
            categorical ? .categorical(probs: Tensor([0.25, 0.25, 0.25, 0.25])) : .poisson(rate: Tensor(2))
        trace.entries.append(
            Trace.Entry(
                kind: .sample, address: "k", instance: 1, name: "k", distribution: prior, value: Tensor(value),
                logProb: 0, isControlled: true))
        trace.logWeight = logWeight
        return trace
    }

    @Test("PIT u = F(t−) + V·p(t) and the true class's probability, from hand-weighted draws")
    func pitByHand() throws {
        var store = TraceStore()
        // Weights 0.1, 0.2, 0.3, 0.4 on values 0, 1, 1, 3.
        for (value, weight) in [(0.0, 0.1), (1.0, 0.2), (1.0, 0.3), (3.0, 0.4)] {
            store.append(Self.trace(value, logWeight: log(weight), categorical: true))
        }
        let posterior = Posterior(store: store)
        for (truth, below, equal) in [(1.0, 0.1, 0.5), (2.0, 0.6, 0.0), (0.0, 0.0, 0.1), (3.0, 0.6, 0.4)] {
            var generator = Xoshiro256StarStar(seed: 3, stream: 0)
            let variate = generator.nextUniform()
            generator = Xoshiro256StarStar(seed: 3, stream: 0)
            let event = CalibrationEvent.measure(
                truth: Self.trace(truth, logWeight: 0, categorical: true), posterior: posterior, using: &generator)
            let measure = try #require(event.measures["k"])
            #expect(abs(try #require(measure.pit) - (below + variate * equal)) <= 1e-12)
            #expect(abs(try #require(measure.trueClassProbability) - equal) <= 1e-12)
            #expect(abs(event.effectiveSampleSize - 1 / 0.3) <= 1e-9)
        }
        // The 90% interval is |u − ½| ≤ 0.45.
        #expect(CalibrationEvent.Measure(pit: 0.05).isInside(level: 0.9))
        #expect(!CalibrationEvent.Measure(pit: 0.04).isInside(level: 0.9))
        #expect(!CalibrationEvent.Measure(pit: nil).isInside(level: 0.5))
    }

    @Test("Prior sampling is calibrated: GUM and branching (discrete, randomised PIT), 400 events")
    func priorCalibrated() throws {
        // Truth and draws are exchangeable, so the rank of the truth is uniform on {0, …, N}; the PIT's grid
        // (1/N = 0.005) is far below what 400 events resolve.
        for (name, report) in [
            (
                "gum",
                try Self.report(
                    GaussianUnknownMean(), engine: InferenceRun.Engine.prior, events: 400, traces: 200)
            ),
            (
                "branching",
                try Self.report(
                    Branching(), engine: InferenceRun.Engine.prior, events: 400, traces: 200)
            ),
        ] {
            #expect(report.events == 400 && report.medianEffectiveSampleSize == 200)
            for (label, variable) in report.variables {
                #expect(variable.flags.isEmpty, "\(name) \(label): \(variable.flags)")
            }
        }
    }

    @Test("Importance sampling from the prior on branching is calibrated; s exists in some events only")
    func importanceBranching() throws {
        let report = try Self.report(
            Branching(), engine: InferenceRun.Engine.importanceSampling, events: 400, traces: 500,
            workers: 2)
        #expect(Set(report.variables.keys) == ["r", "s", "(result)"])
        let s = try #require(report.variables["s"])
        // P(r ≤ 4) = 0.6288 under the prior: s exists in that share of the 400 truths.
        #expect(abs(Double(s.events) / 400 - 0.6288) <= 4 * (0.6288 * 0.3712 / 400).squareRoot())
        for (label, variable) in report.variables {
            #expect(variable.flags.isEmpty, "\(label): \(variable.flags)")
        }
    }

    @Test("RMH on GUM, 400 events of 2 chains thinned to about their ESS, is calibrated; ESS is the chains' bulk ESS")
    func rmhCalibrated() throws {
        var calibration = Calibration(eventCount: 400, tracesPerEvent: 100, seed: 13, workers: 2)
        calibration.chains = InferenceRun.Chains(count: 2, burnIn: 50, thin: 4)
        let engine = InferenceRun.Engine.rmh(stepSize: 1)
        #expect(calibration.simulatorsPerWorker(engine: engine) == 2)
        let output = try calibration.run(events: 0..<400, engine: engine, makeSimulator: { _ in GaussianUnknownMean() })
        let report = CalibrationReport(
            engine: engine.name, model: output.modelName, seed: 13, tracesPerEvent: 100, events: output.events)
        // 50 kept draws per event; a bulk ESS is not an IS ESS (which would be exactly 50 for equal weights).
        #expect(report.medianEffectiveSampleSize > 30 && report.medianEffectiveSampleSize < 80)
        #expect(Set(output.events.map(\.effectiveSampleSize)).count > 100)
        for (label, variable) in report.variables {
            #expect(variable.flags.isEmpty, "\(label): \(variable.flags)")
        }
    }

    /// A deliberately wrong proposal: every controlled Normal draw from Normal(6, 0.5), whatever the data.
    struct ShiftedProposal: NetworkProposal, ProposalPolicy {
        var addressCount: Int { 1 }
        func check(observations: ObservationSet) throws {}
        func policies(observations: ObservationSet, workers: Int, concurrency: Int)
            -> @Sendable () -> any ProposalPolicy
        {
            { ShiftedProposal() }
        }
        func fallbackKey(for entry: Trace.Entry) -> String? { nil }
        mutating func choose(
            at site: Site, prior: Distribution, using generator: inout Xoshiro256StarStar
        ) throws -> (value: Tensor, logWeight: Double) {
            let proposal = Distribution.normal(mean: Tensor(6), stddev: Tensor(0.5))
            let value = proposal.sample(using: &generator)
            return (value, prior.logProb(of: value) - proposal.logProb(of: value))
        }
    }

    @Test("A narrow proposal in the wrong place is flagged: coverage below the band, KS p below 0.001")
    func biasedFlagged() throws {
        let report = try Self.report(
            GaussianUnknownMean(), engine: .importance(proposal: .network(ShiftedProposal())), events: 400,
            traces: 200)
        let mu = try #require(report.variables["mu"])
        #expect(report.engine == "ic" && mu.flags.count == 3, "\(mu.flags)")
        #expect(try #require(mu.ksPValue) < 1e-6)
        #expect(report.isMiscalibrated)
        #expect(report.renderTable().contains("MISCALIBRATED"))
    }

    @Test("The records do not depend on workers; the file reads back equal and is byte-stable")
    func workersAndFile() throws {
        let engine = InferenceRun.Engine.importanceSampling
        let one = try Self.report(GaussianUnknownMean(), engine: engine, events: 30, traces: 50, seed: 11)
        let three = try Self.report(GaussianUnknownMean(), engine: engine, events: 30, traces: 50, seed: 11, workers: 3)
        #expect(one == three)
        let other = try Self.report(GaussianUnknownMean(), engine: engine, events: 30, traces: 50, seed: 12)
        #expect(one != other)
        let text = one.jsonText()
        let back = try CalibrationReport(jsonText: Array(text.utf8), path: "test.json")
        #expect(back == one && back.jsonText() == text)
        #expect(CalibrationReport.isCalibrationFile(Array(text.utf8)))
        // Event records survive the bytes ranks exchange.
        let calibration = Calibration(eventCount: 5, tracesPerEvent: 20, seed: 3)
        let events = try calibration.run(events: 0..<5, engine: engine, makeSimulator: { _ in Branching() }).events
        var writer = ByteWriter()
        for event in events { event.serialized(into: &writer) }
        var reader = ByteReader(writer.bytes)
        let decoded = try events.map { _ in try CalibrationEvent(from: &reader) }
        #expect(decoded == events && reader.isAtEnd)
    }

    @Test("A model without named observations cannot be calibrated: one clear error")
    func noObservations() throws {
        let calibration = Calibration(eventCount: 2, tracesPerEvent: 5, seed: 1)
        #expect {
            _ = try calibration.run(
                events: 0..<2, engine: InferenceRun.Engine.importanceSampling,
                makeSimulator: { _ in AllDistributions() })
        } throws: { error in
            "\(error)" == "the model's traces have no observations to condition on"
        }
    }
}
