import RealModule

/// Scalar log densities (continuous kinds) and log masses (discrete kinds), one per kind.
///
/// Callers pass finite `x` only (every kind gives `-infinity` at ±∞ and NaN). Out-of-support values give
/// `-infinity`. Terms `a·log(y)` use ``xLogY(_:_:)`` so that `0 · log 0` counts as 0, which is the right limit at
/// the edges of the support (Poisson with rate 0, Beta at 0 with α = 1, Binomial with p = 0…).
enum Densities {
    static let halfLogTwoPi = 0.5 * Double.log(2 * Double.pi)

    /// `a · log(y)`, taken to be 0 when `a == 0` whatever `y`.
    static func xLogY(_ a: Double, _ y: Double) -> Double { a == 0 ? 0 : a * Double.log(y) }

    /// `a · log(1 + y)`, taken to be 0 when `a == 0` whatever `y`.
    static func xLog1pY(_ a: Double, _ y: Double) -> Double { a == 0 ? 0 : a * Double.log(onePlus: y) }

    static func isNonNegativeInteger(_ x: Double) -> Bool { x >= 0 && x.rounded(.towardZero) == x }

    static func normal(_ x: Double, _ mean: Double, _ stddev: Double) -> Double {
        let z = (x - mean) / stddev
        return -0.5 * z * z - Double.log(stddev) - halfLogTwoPi
    }

    /// `−log(high − low)` on [low, high), as pyprob: the upper end is outside the support.
    static func uniform(_ x: Double, _ low: Double, _ high: Double) -> Double {
        x >= low && x < high ? -Double.log(high - low) : -.infinity
    }

    static func poisson(_ x: Double, _ rate: Double) -> Double {
        guard isNonNegativeInteger(x) else { return -.infinity }
        return xLogY(x, rate) - rate - Double.logGamma(x + 1)
    }

    static func bernoulli(_ x: Double, _ probs: Double) -> Double {
        if x == 1 { return Double.log(probs) }
        if x == 0 { return Double.log(onePlus: -probs) }
        return -.infinity
    }

    /// On the closed interval [0, 1]; at an end the density is 0, finite or +∞ depending on the concentration.
    static func beta(_ x: Double, _ alpha: Double, _ beta: Double) -> Double {
        guard x >= 0 && x <= 1 else { return -.infinity }
        let logBeta = Double.logGamma(alpha) + Double.logGamma(beta) - Double.logGamma(alpha + beta)
        return xLogY(alpha - 1, x) + xLog1pY(beta - 1, -x) - logBeta
    }

    static func exponential(_ x: Double, _ rate: Double) -> Double {
        x >= 0 ? Double.log(rate) - rate * x : -.infinity
    }

    static func gamma(_ x: Double, _ concentration: Double, _ rate: Double) -> Double {
        guard x >= 0 else { return -.infinity }
        return concentration * Double.log(rate) + xLogY(concentration - 1, x) - rate * x
            - Double.logGamma(concentration)
    }

    /// Density 0 at x = 0 (the limit), so `-infinity` there.
    static func logNormal(_ x: Double, _ loc: Double, _ scale: Double) -> Double {
        guard x > 0 else { return -.infinity }
        let logX = Double.log(x)
        return normal(logX, loc, scale) - logX
    }

    static func binomial(_ x: Double, _ count: Double, _ probs: Double) -> Double {
        guard isNonNegativeInteger(x) && x <= count else { return -.infinity }
        let logChoose = Double.logGamma(count + 1) - Double.logGamma(x + 1) - Double.logGamma(count - x + 1)
        return logChoose + xLogY(x, probs) + xLog1pY(count - x, -probs)
    }

    static func weibull(_ x: Double, _ scale: Double, _ concentration: Double) -> Double {
        guard x >= 0 else { return -.infinity }
        let z = x / scale
        return Double.log(concentration / scale) + xLogY(concentration - 1, z) - Double.pow(z, concentration)
    }

    /// `log(probs[start + x] / Σ row)` for an integer `x` in `0 ..< count`.
    static func categorical(_ x: Double, _ probs: ContiguousArray<Double>, start: Int, count: Int) -> Double {
        guard isNonNegativeInteger(x) && x < Double(count) else { return -.infinity }
        var sum = 0.0
        for k in start..<(start + count) { sum += probs[k] }
        return Double.log(probs[start + Int(x)]) - Double.log(sum)
    }
}
