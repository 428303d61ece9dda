import Foundation
import LumisCore
import LumisDistributions
import LumisInference
import LumisTensor
import Testing

@Suite struct PosteriorWeightingTests {
    // pyprob's Empirical concatenation test: raw log weights, no per-part renormalisation.
    static let pyprobLogWeights: [Double] = [1, 2, 3, -10, -2, -3, 1, -2, -2.5]
    static let pyprobValues: [Double] = [1, 2, 3, 1.4, -9, 5, 10, 4, -1]

    @Test func pyprobConcatenationExample() throws {
        let posterior = Posterior(store: gaussianStore(values: Self.pyprobValues, logWeights: Self.pyprobLogWeights))
        let statistics = try posterior.statistics(of: .name("mu"))
        // The published values (4 decimals) ...
        #expect(abs(statistics.mean[0] - 3.1346) < 5e-5)
        #expect(abs(statistics.stddev[0] - 2.2722) < 5e-5)
        // ... and the exact formulas, evaluated directly.
        let raw = Self.pyprobLogWeights.map { exp($0) }
        let weights = raw.map { $0 / raw.reduce(0, +) }
        let mean = zip(weights, Self.pyprobValues).map { $0 * $1 }.reduce(0, +)
        let variance = zip(weights, Self.pyprobValues).map { $0 * ($1 - mean) * ($1 - mean) }.reduce(0, +)
        #expect(abs(statistics.mean[0] - mean) < 1e-13)
        #expect(abs(statistics.stddev[0] - variance.squareRoot()) < 1e-13)
        #expect(statistics.count == 9 && statistics.missingCount == 0 && statistics.shape == [])
        let ess = 1 / weights.map { $0 * $0 }.reduce(0, +)
        #expect(abs(posterior.effectiveSampleSize! - ess) < 1e-12)
    }

    @Test func effectiveSampleSizeExact() {
        // w = [1/4, 3/4]: ESS = 1 / (1/16 + 9/16) = 1.6.
        let posterior = Posterior(store: gaussianStore(values: [0, 1], logWeights: [0, log(3)]))
        #expect(abs(posterior.effectiveSampleSize! - 1.6) < 1e-14)
        #expect(abs(posterior.normalizedWeights[0] - 0.25) < 1e-15)
        // Equal weights: ESS = N.
        let equal = Posterior(
            store: gaussianStore(values: [0, 1, 2, 3, 4], logWeights: [-700, -700, -700, -700, -700]))
        #expect(abs(equal.effectiveSampleSize! - 5) < 1e-12)
    }

    @Test func logEvidenceCountsNegativeInfinityTraces() {
        // Ẑ = (2 + 4 + 0 + 0) / 4.
        let store = gaussianStore(values: [1, 2, 3, 4], logWeights: [log(2), log(4), -.infinity, -.infinity])
        let posterior = Posterior(store: store)
        #expect(abs(posterior.logEvidence! - log(1.5)) < 1e-14)
        #expect(posterior.normalizedWeights[2] == 0 && posterior.normalizedWeights[3] == 0)
        #expect(posterior.nanWeightCount == 0)
        #expect(posterior.traceCount == 4)
    }

    @Test func logEvidenceIsStableForHugeLogWeights() {
        let posterior = Posterior(store: gaussianStore(values: [1, 2], logWeights: [-1e4, -1e4 + log(3)]))
        #expect(abs(posterior.logEvidence! - (-1e4 + log(2))) < 1e-10)
        // log 3 added to −1e4 is rounded to the ulp of 1e4; that input error bounds the weight's error.
        #expect(abs(posterior.normalizedWeights[1] - 0.75) < 4 * 1e4 * Double.ulpOfOne)
    }

    @Test func nanWeightsAreCountedNotUsed() throws {
        let store = gaussianStore(values: [1, 100, 5, 200], logWeights: [0, .nan, log(3), .infinity])
        let posterior = Posterior(store: store)
        #expect(posterior.nanWeightCount == 2)
        #expect(posterior.traceCount == 4)
        // N counts the two valid traces: Ẑ = (1 + 3) / 2.
        #expect(abs(posterior.logEvidence! - log(2)) < 1e-14)
        let statistics = try posterior.statistics(of: .name("mu"))
        #expect(abs(statistics.mean[0] - 4) < 1e-14)  // 0.25·1 + 0.75·5
        #expect(statistics.count == 2)
        let summary = posterior.summary(metadata: PosteriorMetadata(engine: "is", seed: 1, model: "m"))
        #expect(summary.nanWeightCount == 2)
    }

    @Test func allNegativeInfinityIsUndefinedNotNaN() {
        let store = gaussianStore(values: [1, 2, 3], logWeights: [-.infinity, -.infinity, -.infinity])
        let posterior = Posterior(store: store)
        #expect(posterior.logEvidence == -.infinity)
        #expect(posterior.effectiveSampleSize == nil)
        #expect(!posterior.hasUsableWeights)
        #expect(throws: PosteriorError.noUsableWeight(traceCount: 3, nanWeightCount: 0)) {
            try posterior.statistics(of: .name("mu"))
        }
        var generator = SplitMix64(seed: 1)
        #expect(throws: PosteriorError.self) { try posterior.resample(count: 3, using: &generator) }
        let summary = posterior.summary(metadata: PosteriorMetadata(engine: "is", seed: 1, model: "m"))
        #expect(summary.variables.isEmpty)
        #expect(summary.undefinedVariables == ["(result)", "mu"])
        let text = summary.jsonText()
        #expect(text.contains("\"log_evidence\":\"-inf\"") && text.contains("\"ess\":null"))
        #expect(!text.contains("NaN") && !text.contains("\"nan\""))
    }

    @Test func allNaNHasNoEvidence() {
        let posterior = Posterior(store: gaussianStore(values: [1, 2], logWeights: [.nan, .nan]))
        #expect(posterior.logEvidence == nil && posterior.nanWeightCount == 2 && !posterior.hasUsableWeights)
        #expect(Posterior(store: TraceStore()).logEvidence == nil)
    }

    @Test func uniformWeightingIgnoresLogWeights() throws {
        let posterior = Posterior(
            store: gaussianStore(values: [1, 2, 3, 6], logWeights: [0, -5, .nan, -.infinity]),
            weighting: .uniform)
        let statistics = try posterior.statistics(of: .result)
        #expect(statistics.mean == [3])
        #expect(abs(statistics.stddev[0] - 3.5.squareRoot()) < 1e-14)  // (4 + 1 + 0 + 9) / 4
        #expect(posterior.effectiveSampleSize == 4 && posterior.logEvidence == nil && posterior.nanWeightCount == 0)
    }
}

@Suite struct PosteriorStatisticsTests {
    @Test func quantilesOfEqualWeights() throws {
        let posterior = Posterior(store: gaussianStore(values: [3, 1, 4, 2], logWeights: [0, 0, 0, 0]))
        let statistics = try posterior.statistics(of: .name("mu"), quantileLevels: [0, 0.05, 0.25, 0.5, 0.75, 0.76, 1])
        #expect(statistics.quantiles == [0: [1], 0.05: [1], 0.25: [1], 0.5: [2], 0.75: [3], 0.76: [4], 1: [4]])
        // 0.7 · 10 rounds to 7.000000000000001; the 0.7-quantile of 1…10 is still 7.
        let tenValues = (1...10).map(Double.init)
        let ten = Posterior(store: gaussianStore(values: tenValues, logWeights: Array(repeating: 0, count: 10)))
        #expect(try ten.statistics(of: .name("mu"), quantileLevels: [0.3, 0.7]).quantiles == [0.3: [3], 0.7: [7]])
    }

    @Test func quantilesOfUnequalWeights() throws {
        // Sorted values 1, 2, 3 with weights 0.2, 0.3, 0.5 (and a zero-weight 0 that never counts).
        let store = gaussianStore(values: [3, 1, 2, 0], logWeights: [log(0.5), log(0.2), log(0.3), -.infinity])
        let statistics = try Posterior(store: store).statistics(
            of: .name("mu"), quantileLevels: [0, 0.05, 0.2, 0.21, 0.5, 0.51, 0.95])
        #expect(statistics.quantiles == [0: [1], 0.05: [1], 0.2: [1], 0.21: [2], 0.5: [2], 0.51: [3], 0.95: [3]])
    }

    @Test func tensorVariablesAreElementwise() throws {
        var store = TraceStore()
        let rows: [([Double], Double)] = [([1, 10, 100, 1000], 0), ([3, 30, 300, 3000], log(3))]
        for (values, logWeight) in rows {
            var trace = Trace()
            trace.entries = [entry(.sample, "m", name: "x", value: Tensor(shape: [2, 2], scalars: values))]
            trace.logWeight = logWeight
            store.append(trace)
        }
        let statistics = try Posterior(store: store).statistics(of: .name("x"), quantileLevels: [0.5])
        #expect(statistics.shape == [2, 2])
        #expect(statistics.mean == [2.5, 25, 250, 2500])
        let expected = [1.0, 10, 100, 1000].map { $0 * 0.75.squareRoot() }  // √(¼·(1.5a)² + ¾·(0.5a)²)
        for (got, want) in zip(statistics.stddev, expected) { #expect(abs(got - want) <= 1e-13 * want) }
        #expect(statistics.quantiles[0.5] == [3, 30, 300, 3000])
    }

    @Test func missingVariablesAndShapeMismatchesAreCounted() throws {
        var store = TraceStore()
        for (index, shape) in [[2], [2], [3], [], [2]].enumerated() {
            var trace = Trace()
            if !shape.isEmpty {
                let count = shape[0]
                trace.entries = [
                    entry(
                        .sample, "v", name: "x",
                        value: Tensor(shape: shape, scalars: (0..<count).map { Double($0 + index) }))
                ]
            }
            store.append(trace)
        }
        let statistics = try Posterior(store: store).statistics(of: .name("x"))
        #expect(statistics.shape == [2] && statistics.count == 3)
        #expect(statistics.missingCount == 1 && statistics.shapeMismatchCount == 1)
        let expectedMean: [Double] = [5.0 / 3, 8.0 / 3]
        #expect(abs(statistics.mean[0] - expectedMean[0]) < 1e-15 && abs(statistics.mean[1] - expectedMean[1]) < 1e-15)
        #expect(throws: PosteriorError.undefinedVariable(.name("nope"), count: 0, missingCount: 5)) {
            try Posterior(store: store).statistics(of: .name("nope"))
        }
    }

    @Test func variableOnlyInZeroWeightTracesIsUndefined() {
        var store = gaussianStore(values: [1], logWeights: [0])
        var trace = gaussianTrace(mu: 2, logWeight: -.infinity)
        trace.entries.append(entry(.tag, "t", name: "extra", value: Tensor(5)))
        store.append(trace)
        let posterior = Posterior(store: store)
        #expect(throws: PosteriorError.undefinedVariable(.name("extra"), count: 1, missingCount: 1)) {
            try posterior.statistics(of: .name("extra"))
        }
        #expect(posterior.summary(metadata: .init(engine: "is", seed: nil, model: "m")).undefinedVariables == ["extra"])
    }

    @Test func histogramSumsWeights() throws {
        let store = gaussianStore(values: [0, 1, 2, 3, 4], logWeights: [log(1), log(2), log(3), log(2), log(2)])
        let histogram = try Posterior(store: store).histogram(of: .name("mu"), binCount: 2)
        #expect(histogram.edges == [0, 2, 4])
        #expect(abs(histogram.weights[0] - 0.3) < 1e-15 && abs(histogram.weights[1] - 0.7) < 1e-15)
        let ranged = try Posterior(store: store).histogram(of: .name("mu"), binCount: 1, range: 0.5...2.5)
        #expect(abs(ranged.weights[0] - 0.5) < 1e-15 && abs(ranged.outsideWeight - 0.5) < 1e-15)
    }
}

@Suite struct ResamplingTests {
    static let probabilities = [0.1, 0.2, 0.0, 0.7]

    @Test(arguments: [Posterior.ResamplingMethod.multinomial, .systematic])
    func frequenciesMatchWeights(method: Posterior.ResamplingMethod) throws {
        let store = gaussianStore(values: [0, 1, 2, 3], logWeights: Self.probabilities.map { log($0) })
        var generator = SplitMix64(seed: 2024)
        let drawCount = 20_000
        let draws = try Posterior(store: store).resample(count: drawCount, method: method, using: &generator)
        #expect(draws.count == drawCount)
        for (index, probability) in Self.probabilities.enumerated() {
            let frequency = Double(draws.filter { $0 == index }.count) / Double(drawCount)
            let tolerance = 5 * (probability * (1 - probability) / Double(drawCount)).squareRoot()
            #expect(abs(frequency - probability) <= tolerance, "trace \(index)")
        }
        if method == .systematic { #expect(draws == draws.sorted()) }
    }

    @Test func resamplingIsRepeatable() throws {
        let posterior = Posterior(store: gaussianStore(values: [0, 1, 2], logWeights: [0, 1, 2]))
        var first = SplitMix64(seed: 7)
        var second = SplitMix64(seed: 7)
        #expect(try posterior.resample(count: 100, using: &first) == posterior.resample(count: 100, using: &second))
        #expect(try posterior.resample(count: 0, using: &first) == [])
    }
}
