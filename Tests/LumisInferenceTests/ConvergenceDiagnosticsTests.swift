import Foundation
import LumisDistributions
import LumisInference
import Testing

/// AR(1) chains rebuilt bit for bit as `scripts/diagnostics-reference.py` builds them: SplitMix64 uniforms, a
/// centred sum of four as innovation, `xₜ = φ xₜ₋₁ + eₜ`, chain *c* shifted by `shift · c`.
func referenceChains(
    seed: UInt64, chains: Int, draws: Int, phi: Double, shift: Double, rounding: Double? = nil
) -> [[Double]] {
    var generator = SplitMix64(seed: seed)
    func uniform() -> Double { Double(generator.next() >> 11) * 0x1p-53 }
    var result: [[Double]] = []
    for chain in 0..<chains {
        var x = 0.0
        var values: [Double] = []
        for _ in 0..<draws {
            let e = (uniform() + uniform()) + (uniform() + uniform()) - 2
            x = phi * x + e
            var value = x + shift * Double(chain)
            if let rounding { value = (value * rounding).rounded(.toNearestOrEven) / rounding }
            values.append(value)
        }
        result.append(values)
    }
    return result
}

@Suite struct ConvergenceDiagnosticsTests {
    struct Reference: Sendable, CustomTestStringConvertible {
        var name: String
        var chains: [[Double]]
        var rHat: Double?
        var essBulk, essTail, essMean, mcseMean: Double
        var autocorrelation: [Double]
        var testDescription: String { name }
    }

    // Printed by `python3 scripts/diagnostics-reference.py` with ArviZ 0.23.4, numpy 2.4, scipy 1.17.
    static let references: [Reference] = [
        Reference(
            name: "four shifted chains", chains: referenceChains(seed: 1, chains: 4, draws: 200, phi: 0.5, shift: 0.1),
            rHat: 1.0271663546275893, essBulk: 192.33860422530336, essTail: 629.1852678571424,
            essMean: 198.7750664290082, mcseMean: 0.04896287144446622,
            autocorrelation: [1.0, 0.3284767334294527, 0.09782315294167272]),
        Reference(
            name: "three sticky chains, odd length",
            chains: referenceChains(seed: 2, chains: 3, draws: 101, phi: 0.9, shift: 0),
            rHat: 1.1739958461912718, essBulk: 18.86781338760745, essTail: 49.145673338155554,
            essMean: 19.638054999207604, mcseMean: 0.283115875423126,
            autocorrelation: [1.0, 0.7884937751345089, 0.6726957690791551]),
        Reference(
            name: "two short chains with ties",
            chains: referenceChains(seed: 3, chains: 2, draws: 9, phi: 0.3, shift: 0, rounding: 2),
            rHat: 1.226115826979761, essBulk: 19.265919722494797, essTail: 19.265919722494797,
            essMean: 19.265919722494797, mcseMean: 0.09140028101794571,
            autocorrelation: [1.0, -0.17958656330749348, -0.05684754521963824]),
        Reference(
            name: "one chain", chains: referenceChains(seed: 4, chains: 1, draws: 64, phi: -0.4, shift: 0),
            rHat: nil, essBulk: 115.59551833496877, essTail: 72.45590271281573, essMean: 115.59551833496877,
            mcseMean: 0.06367783763077828, autocorrelation: [1.0, -0.5178576517982153, 0.30229130865398524]),
    ]

    static func close(_ actual: Double?, _ expected: Double?) -> Bool {
        guard let actual, let expected else { return actual == nil && expected == nil }
        return abs(actual - expected) <= 1e-9 * abs(expected)
    }

    @Test("Matches ArviZ", arguments: references) func matchesArviZ(reference: Reference) {
        let chains = reference.chains
        #expect(Self.close(ConvergenceDiagnostics.splitRHat(chains), reference.rHat))
        #expect(Self.close(ConvergenceDiagnostics.bulkEffectiveSampleSize(chains), reference.essBulk))
        #expect(Self.close(ConvergenceDiagnostics.tailEffectiveSampleSize(chains), reference.essTail))
        #expect(Self.close(ConvergenceDiagnostics.meanEffectiveSampleSize(chains), reference.essMean))
        #expect(Self.close(ConvergenceDiagnostics.meanStandardError(chains), reference.mcseMean))
        let autocorrelation = ConvergenceDiagnostics.autocorrelation(chains[0], maxLag: 2)
        #expect(autocorrelation.count == 3)
        for (actual, expected) in zip(autocorrelation, reference.autocorrelation) {
            #expect(abs(actual - expected) <= 1e-12)
        }
    }

    /// For AR(1) with coefficient φ the integrated autocorrelation time is (1 + φ)/(1 − φ), so
    /// ESS ≈ M (1 − φ)/(1 + φ).
    ///
    /// With M = 100,000 and φ = 0.8 (ESS ≈ 11,111) the estimator's relative standard
    /// error is about √(2(2K + 1)/M)·… ≈ 2% for the K ≈ 25 lags Geyer's rule keeps, so 10% is about 5σ.
    @Test func autoregressiveChainsHaveTheTheoreticalESS() throws {
        let phi = 0.8
        let chains = referenceChains(seed: 11, chains: 4, draws: 25_000, phi: phi, shift: 0)
        let expected = 100_000 * (1 - phi) / (1 + phi)
        let estimates = [
            ConvergenceDiagnostics.bulkEffectiveSampleSize(chains),
            ConvergenceDiagnostics.meanEffectiveSampleSize(chains),
        ]
        for ess in estimates {
            let ess = try #require(ess)
            #expect(abs(ess - expected) <= 0.1 * expected, "ESS \(ess), theory \(expected)")
        }
        let rHat = try #require(ConvergenceDiagnostics.splitRHat(chains))
        #expect(rHat < 1.01)
        // Lag-k autocorrelation of AR(1) is φᵏ; its standard error at N = 25,000 is about √((1+φ²)/(1−φ²)/N) ≈ 0.01.
        let autocorrelation = ConvergenceDiagnostics.autocorrelation(chains[0], maxLag: 3)
        for lag in 1...3 { #expect(abs(autocorrelation[lag] - pow(phi, Double(lag))) <= 0.05) }
    }

    @Test func undefinedCasesGiveNil() {
        #expect(ConvergenceDiagnostics.splitRHat([[1, 2, 3, 4, 5]]) == nil)
        #expect(ConvergenceDiagnostics.bulkEffectiveSampleSize([[1, 2, 3]]) == nil)
        #expect(ConvergenceDiagnostics.splitRHat([[1, 2, .nan, 4], [1, 2, 3, 4]]) == nil)
        #expect(ConvergenceDiagnostics.splitRHat([[2, 2, 2, 2], [2, 2, 2, 2]]) == nil)
        // A constant has full ESS, as ArviZ says.
        #expect(ConvergenceDiagnostics.meanEffectiveSampleSize([[2, 2, 2, 2], [2, 2, 2, 2]]) == 8)
    }

    @Test func autocorrelationMatchesTheDirectSum() {
        let chain = referenceChains(seed: 5, chains: 1, draws: 37, phi: 0.6, shift: 0)[0]
        let mean = chain.reduce(0, +) / 37
        let fft = ConvergenceDiagnostics.autocovariance(chain)
        for lag in 0..<37 {
            var direct = 0.0
            for index in 0..<(37 - lag) { direct += (chain[index] - mean) * (chain[index + lag] - mean) }
            #expect(abs(fft[lag] - direct / 37) <= 1e-12)
        }
    }
}
