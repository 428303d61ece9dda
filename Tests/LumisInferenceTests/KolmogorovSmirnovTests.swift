import LumisInference
import Testing

@Suite("Kolmogorov–Smirnov p-values")
struct KolmogorovSmirnovTests {
    /// Reference p-values `P(Dₙ ≥ d)` from SciPy.
    ///
    /// SciPy 1.17's `kstwo.sf` is an independent implementation (Simard and L'Ecuyer 2011): exact
    /// up to n = 140, where it must agree to rounding; above, SciPy switches to the Pomeranz recursion and
    /// Pelz–Good asymptotics, documented to about 10⁻⁶ absolute, so that is the tolerance there. (10, 0.274) is
    /// also Marsaglia, Tsang and Wang's own example, `P(D₁₀ < 0.274) = 0.6284796154565043`.
    @Test(
        "Exact finite-n p-values match published values",
        arguments: [
            (10, 0.274, 0.3715203845434957), (10, 0.1, 0.99963712), (50, 0.05, 0.9990238098461883),
            (50, 0.2, 0.03143877776953241), (400, 0.0975, 0.0009220330105526368), (400, 0.06, 0.10777126907396828),
            (400, 0.03, 0.8534115453673426), (1000, 0.05, 0.013012074781090332),
            (2000, 0.03, 0.05354694793932557),
        ])
    func exact(n: Int, d: Double, expected: Double) {
        let p = KolmogorovSmirnov.pValue(statistic: d, sampleSize: n)
        let tolerance = n <= 140 ? 1e-9 * expected : 1e-6
        #expect(abs(p - expected) <= tolerance, "n \(n), d \(d): \(p) vs \(expected)")
    }

    @Test("Closed forms: P(D₁ < d) = 2d − 1 and P(Dₙ < d) = n!(2d − 1/n)ⁿ for 1/(2n) ≤ d ≤ 1/n")
    func closedForms() {
        for d in [0.55, 0.7, 0.93] {
            #expect(abs(KolmogorovSmirnov.pValue(statistic: d, sampleSize: 1) - (1 - (2 * d - 1))) <= 1e-12)
        }
        for n in [3, 7] {
            for fraction in [0.6, 0.8, 0.95] {
                let d = fraction / Double(n)
                var cdf = 1.0
                for i in 1...n { cdf *= Double(i) * (2 * d - 1 / Double(n)) }
                #expect(abs(KolmogorovSmirnov.pValue(statistic: d, sampleSize: n) - (1 - cdf)) <= 1e-12)
            }
        }
        // Below 1/(2n): D is never that small.
        #expect(KolmogorovSmirnov.pValue(statistic: 0.4 / 10, sampleSize: 10) == 1)
        #expect(KolmogorovSmirnov.pValue(statistic: 1, sampleSize: 10) == 0)
    }

    /// `Q(x) = P(K > x)` from SciPy's `special.kolmogorov`.
    @Test(
        "Kolmogorov's limit distribution matches published values",
        arguments: [
            (0.3, 0.9999906941986655), (0.5, 0.9639452436648751), (0.8, 0.5441424115741981),
            (1.0, 0.26999967167735456), (1.2238, 0.10002342783567782), (1.3581, 0.0499996304316674),
            (1.6276, 0.010001537333060776), (1.9495, 0.0009998019790258981), (2.5, 7.453306344157342e-06),
        ])
    func limit(x: Double, expected: Double) {
        #expect(abs(KolmogorovSmirnov.limitSurvival(x) - expected) <= 1e-12 + 1e-10 * expected)
    }

    @Test("Beyond the exact range the corrected limit law agrees with the exact value at the switch")
    func largeN() {
        // n = 5000, d = 0.02: SciPy's kstwo.sf gives 0.03613941395325637.
        let p = KolmogorovSmirnov.pValue(statistic: 0.02, sampleSize: 5_000)
        #expect(abs(p - 0.03613941395325637) <= 1e-4 * 0.0361)
        // At the switch both methods agree to 0.1% down to p = 0.003 (Vrbik's error is O(n^(−3/2))).
        let n = KolmogorovSmirnov.exactLimit
        for d in [0.02, 0.03, 0.04] {
            let exact = KolmogorovSmirnov.pValue(statistic: d, sampleSize: n)
            let limit = KolmogorovSmirnov.correctedLimitPValue(statistic: d, sampleSize: n)
            #expect(abs(exact - limit) <= 1e-3 * exact, "d \(d): \(exact) vs \(limit)")
        }
    }

    @Test("The statistic of a sample: the largest gap between its empirical CDF and the uniform CDF")
    func statistic() {
        #expect(abs(KolmogorovSmirnov.statistic(ofUniform: [0.5]) - 0.5) <= 1e-15)
        #expect(abs(KolmogorovSmirnov.statistic(ofUniform: [0.1, 0.2, 0.9]) - (2.0 / 3 - 0.2)) <= 1e-15)
        let grid = (0..<100).map { (Double($0) + 0.5) / 100 }
        #expect(abs(KolmogorovSmirnov.statistic(ofUniform: grid) - 0.005) <= 1e-12)
    }
}
