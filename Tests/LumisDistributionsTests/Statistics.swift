import RealModule

/// Sample mean and (unbiased) variance in one pass (Welford).
struct SampleMoments {
    private(set) var count = 0
    private(set) var mean = 0.0
    private var sumOfSquares = 0.0

    mutating func add(_ x: Double) {
        count += 1
        let delta = x - mean
        mean += delta / Double(count)
        sumOfSquares += delta * (x - mean)
    }

    var variance: Double { sumOfSquares / Double(count - 1) }
}

/// The regularised upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a), the chi-square survival function at
/// `2x` with `2a` degrees of freedom.
///
/// The series for P when x < a + 1, else Lentz's continued fraction (the standard textbook expansions). Checked
/// against scipy in `GoodnessOfFitTests`.
func regularizedUpperGamma(_ a: Double, _ x: Double) -> Double {
    precondition(a > 0 && x >= 0)
    if x == 0 { return 1 }
    let logPrefix = a * Double.log(x) - x - Double.logGamma(a)
    if x < a + 1 {
        var term = 1 / a
        var sum = term
        var n = a
        while abs(term) > abs(sum) * 1e-16 {
            n += 1
            term *= x / n
            sum += term
        }
        return 1 - sum * Double.exp(logPrefix)
    }
    let tiny = 1e-300
    var b = x + 1 - a
    var c = 1 / tiny
    var d = 1 / b
    var h = d
    var i = 1.0
    while true {
        let an = -i * (i - a)
        b += 2
        d = an * d + b
        if abs(d) < tiny { d = tiny }
        c = b + an / c
        if abs(c) < tiny { c = tiny }
        d = 1 / d
        let delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-16 { break }
        i += 1
    }
    return Double.exp(logPrefix) * h
}

/// The chi-square survival function P(χ²_df > statistic).
func chiSquareSurvival(_ statistic: Double, degreesOfFreedom: Int) -> Double {
    regularizedUpperGamma(Double(degreesOfFreedom) / 2, statistic / 2)
}
