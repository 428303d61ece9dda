import Glibc

/// The one-sample Kolmogorov–Smirnov test against Uniform(0, 1), with the exact finite-sample distribution of the
/// statistic.
///
/// `Dₙ = supₓ |Fₙ(x) − x|` for the empirical CDF `Fₙ` of *n* values. Its p-value is `P(Dₙ ≥ d)` under the null:
/// - for *n* ≤ ``exactLimit``, the exact distribution by Marsaglia, Tsang and Wang (2003), "Evaluating
///   Kolmogorov's distribution", J. Stat. Softw. 8(18): `P(Dₙ < d)` is an element of the *n*-th power of a
///   `(2k − 1)`-square matrix, `k = ⌊nd⌋ + 1`, with its exponent tracked separately so nothing overflows; far in
///   the right tail (`nd² > 7.24`, where the p-value is below about 10⁻⁶) their approximation
///   `2 exp(−(2.000071 + 0.331/√n + 1.409/n) nd²)`, whose absolute error is about 10⁻⁷;
/// - for larger *n*, Kolmogorov's limit law with Vrbik's (2018) small-sample shift,
///   `P(√n Dₙ ≥ x) ≈ Q(x + 1/(6√n) + (x − 1)/(4n))`, whose error is `O(n^(−3/2))`.
public enum KolmogorovSmirnov {
    /// The largest sample size whose p-value is computed exactly (the matrix is at most about `2√(7.24n)` square).
    public static let exactLimit = 2_000

    /// The statistic `Dₙ` of `values` against Uniform(0, 1).
    ///
    /// - Precondition: `values` is not empty and every value is in `[0, 1]`.
    /// - Complexity: O(*n* log *n*).
    public static func statistic(ofUniform values: [Double]) -> Double {
        precondition(!values.isEmpty, "the KS statistic needs at least one value")
        precondition(values.allSatisfy { $0 >= 0 && $0 <= 1 }, "KS values must be in [0, 1]")
        let sorted = values.sorted()
        let n = Double(sorted.count)
        var largest = 0.0
        for (index, value) in sorted.enumerated() {
            largest = max(largest, Double(index + 1) / n - value, value - Double(index) / n)
        }
        return largest
    }

    /// The p-value `P(Dₙ ≥ d)` of the two-sided statistic `d` for sample size `n`.
    ///
    /// - Precondition: `n > 0`; `d` is not NaN.
    public static func pValue(statistic d: Double, sampleSize n: Int) -> Double {
        precondition(n > 0 && !d.isNaN, "the KS p-value needs n > 0 and a statistic")
        if d <= 0 { return 1 }
        if d >= 1 { return 0 }
        if n <= exactLimit { return min(1, max(0, 1 - exactCDF(statistic: d, sampleSize: n))) }
        return correctedLimitPValue(statistic: d, sampleSize: n)
    }

    /// The p-value from Kolmogorov's limit law with Vrbik's shift, used above ``exactLimit``.
    package static func correctedLimitPValue(statistic d: Double, sampleSize n: Int) -> Double {
        let root = Double(n).squareRoot()
        let x = root * d
        return limitSurvival(x + 1 / (6 * root) + (x - 1) / (4 * Double(n)))
    }

    /// `Q(x) = P(K > x)` for Kolmogorov's limit distribution `K = sup |B(t)|` of the Brownian bridge.
    ///
    /// `Q(x) = 2 Σₖ₌₁ (−1)^(k−1) exp(−2k²x²)` for `x ≥ 1`; below 1 that series converges slowly, so
    /// `Q(x) = 1 − (√(2π)/x) Σₖ₌₁ exp(−(2k − 1)²π²/(8x²))`.
    public static func limitSurvival(_ x: Double) -> Double {
        if x <= 0 { return 1 }
        if x < 1 {
            var sum = 0.0
            for k in 1...12 {
                let odd = Double(2 * k - 1)
                sum += exp(-odd * odd * Double.pi * Double.pi / (8 * x * x))
            }
            return min(1, max(0, 1 - (2 * Double.pi).squareRoot() / x * sum))
        }
        var sum = 0.0
        for k in 1...100 {
            let term = exp(-2 * Double(k * k) * x * x)
            sum += k % 2 == 1 ? term : -term
            if term < 1e-300 { break }
        }
        return min(1, max(0, 2 * sum))
    }

    /// `P(Dₙ < d)` by Marsaglia, Tsang and Wang (2003), with their right-tail shortcut.
    static func exactCDF(statistic d: Double, sampleSize n: Int) -> Double {
        let s = d * d * Double(n)
        if s > 7.24 {
            return 1 - 2 * exp(-(2.000071 + 0.331 / Double(n).squareRoot() + 1.409 / Double(n)) * s)
        }
        let k = Int(Double(n) * d) + 1
        let m = 2 * k - 1
        let h = Double(k) - Double(n) * d
        var matrix = [Double](repeating: 0, count: m * m)
        for i in 0..<m {
            for j in 0..<m where i - j + 1 >= 0 { matrix[i * m + j] = 1 }
        }
        for i in 0..<m {
            matrix[i * m] -= pow(h, Double(i + 1))
            matrix[(m - 1) * m + i] -= pow(h, Double(m - i))
        }
        if 2 * h - 1 > 0 { matrix[(m - 1) * m] += pow(2 * h - 1, Double(m)) }
        for i in 0..<m {
            for j in 0..<m where i - j + 1 > 0 {
                for g in 1...(i - j + 1) { matrix[i * m + j] /= Double(g) }
            }
        }
        let (power, exponent) = Self.power(matrix, size: m, exponent: n)
        var value = power[(k - 1) * m + k - 1]
        var scale = exponent
        for i in 1...n {
            value = value * Double(i) / Double(n)
            if value < 1e-140 {
                value *= 1e140
                scale -= 140
            }
        }
        return value * pow(10, Double(scale))
    }

    /// `matrix`ⁿ as a matrix and a power of ten: the true power is the matrix times `10^exponent`.
    private static func power(_ matrix: [Double], size m: Int, exponent n: Int) -> ([Double], Int) {
        if n == 1 { return (matrix, 0) }
        var (half, scale) = power(matrix, size: m, exponent: n / 2)
        var result = multiply(half, half, size: m)
        scale *= 2
        if n % 2 == 1 { result = multiply(matrix, result, size: m) }
        if result[(m / 2) * m + m / 2] > 1e140 {
            for index in result.indices { result[index] *= 1e-140 }
            scale += 140
        }
        half = []
        return (result, scale)
    }

    private static func multiply(_ a: [Double], _ b: [Double], size m: Int) -> [Double] {
        var product = [Double](repeating: 0, count: m * m)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                product.withUnsafeMutableBufferPointer { product in
                    for i in 0..<m {
                        for l in 0..<m {
                            let factor = a[i * m + l]
                            if factor == 0 { continue }
                            for j in 0..<m { product[i * m + j] += factor * b[l * m + j] }
                        }
                    }
                }
            }
        }
        return product
    }
}
