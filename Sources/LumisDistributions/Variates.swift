import RealModule

/// Scalar samplers, one per kind.
///
/// Each is a pure function of its arguments and the generator state.
///
/// Invalid parameters (which ``Distribution/validate()`` rejects) give NaN rather than looping forever.
enum Variates {
    static func normal(_ mean: Double, _ stddev: Double, _ generator: inout some RandomNumberGenerator) -> Double {
        mean + stddev * generator.nextStandardNormal()
    }

    /// `low + u·(high − low)` written as a convex combination so that huge ranges do not overflow, kept in
    /// [low, high) against rounding (pyprob's support is half-open).
    static func uniform(_ low: Double, _ high: Double, _ generator: inout some RandomNumberGenerator) -> Double {
        let u = generator.nextUniform()
        let x = (1 - u) * low + u * high
        return x < high ? max(x, low) : max(high.nextDown, low)
    }

    static func bernoulli(_ probs: Double, _ generator: inout some RandomNumberGenerator) -> Double {
        generator.nextUniform() < probs ? 1 : 0
    }

    /// Inversion: `-log(U) / rate`.
    static func exponential(_ rate: Double, _ generator: inout some RandomNumberGenerator) -> Double {
        -Double.log(generator.nextOpenUniform()) / rate
    }

    /// Inversion: `scale · (−log U)^(1/concentration)`.
    static func weibull(
        _ scale: Double, _ concentration: Double, _ generator: inout some RandomNumberGenerator
    ) -> Double {
        scale * Double.pow(-Double.log(generator.nextOpenUniform()), 1 / concentration)
    }

    static func logNormal(_ loc: Double, _ scale: Double, _ generator: inout some RandomNumberGenerator) -> Double {
        Double.exp(loc + scale * generator.nextStandardNormal())
    }

    static func gamma(_ concentration: Double, _ rate: Double, _ generator: inout some RandomNumberGenerator) -> Double
    {
        standardGamma(concentration, &generator) / rate
    }

    /// A Gamma(`shape`, 1) variate: Marsaglia and Tsang (2000), "A simple method for generating gamma variables",
    /// ACM TOMS 26(3); for `shape < 1` their boost `Gamma(shape + 1) · U^(1/shape)`.
    static func standardGamma(_ shape: Double, _ generator: inout some RandomNumberGenerator) -> Double {
        guard shape > 0, shape.isFinite else { return .nan }
        if shape < 1 {
            let boost = Double.exp(Double.log(generator.nextOpenUniform()) / shape)
            return marsagliaTsang(shape + 1, &generator) * boost
        }
        return marsagliaTsang(shape, &generator)
    }

    /// The logarithm of a Gamma(`shape`, 1) variate, finite even when the variate itself underflows (tiny shapes).
    static func logStandardGamma(_ shape: Double, _ generator: inout some RandomNumberGenerator) -> Double {
        guard shape > 0, shape.isFinite else { return .nan }
        if shape < 1 {
            let logBoost = Double.log(generator.nextOpenUniform()) / shape
            return Double.log(marsagliaTsang(shape + 1, &generator)) + logBoost
        }
        return Double.log(marsagliaTsang(shape, &generator))
    }

    /// Marsaglia–Tsang squeeze/rejection for `shape ≥ 1`; acceptance rate above 95 %.
    private static func marsagliaTsang(_ shape: Double, _ generator: inout some RandomNumberGenerator) -> Double {
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = generator.nextStandardNormal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = generator.nextOpenUniform()
            let x2 = x * x
            if u < 1 - 0.0331 * x2 * x2 { return d * v }
            if Double.log(u) < 0.5 * x2 + d * (1 - v + Double.log(v)) { return d * v }
        }
    }

    /// `X / (X + Y)` for independent `X ~ Gamma(α)`, `Y ~ Gamma(β)`; in log space when a shape is below 1, where
    /// both variates can underflow to 0.
    static func beta(_ alpha: Double, _ beta: Double, _ generator: inout some RandomNumberGenerator) -> Double {
        if alpha >= 1 && beta >= 1 {
            let x = standardGamma(alpha, &generator)
            let y = standardGamma(beta, &generator)
            return x / (x + y)
        }
        let logX = logStandardGamma(alpha, &generator)
        let logY = logStandardGamma(beta, &generator)
        return 1 / (1 + Double.exp(logY - logX))
    }

    /// Poisson: sequential-search inversion below rate 10 (expected `rate + 1` steps), otherwise PTRS, the
    /// transformed rejection with squeeze of Hörmann (1993), "The transformed rejection method for generating
    /// Poisson random variables", Insurance: Mathematics and Economics 12.
    static func poisson(_ rate: Double, _ generator: inout some RandomNumberGenerator) -> Double {
        guard rate >= 0, rate.isFinite else { return .nan }
        if rate < 10 {
            var k = 0.0
            var p = Double.exp(-rate)
            var cumulative = p
            let u = generator.nextUniform()
            // p reaches 0 after a few hundred steps, so rounding in `cumulative` cannot make this spin.
            while u > cumulative && p > 0 {
                k += 1
                p *= rate / k
                cumulative += p
            }
            return k
        }
        let logRate = Double.log(rate)
        let b = 0.931 + 2.53 * rate.squareRoot()
        let a = -0.059 + 0.02483 * b
        let logInverseAlpha = Double.log(1.1239 + 1.1328 / (b - 3.4))
        let vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = generator.nextUniform() - 0.5
            let v = generator.nextOpenUniform()
            let us = 0.5 - abs(u)
            let k = ((2 * a / us + b) * u + rate + 0.43).rounded(.down)
            if us >= 0.07 && v <= vr { return k }
            if k < 0 || (us < 0.013 && v > us) { continue }
            let logAcceptance = -rate + k * logRate - Double.logGamma(k + 1)
            if Double.log(v) + logInverseAlpha - Double.log(a / (us * us) + b) <= logAcceptance { return k }
        }
    }

    /// Binomial: for `p > 1/2` the mirror image `n − Binomial(n, 1 − p)`; inversion when `n·p < 10`, otherwise
    /// BTRS, Hörmann (1993), "The generation of binomial random variates", J.
    ///
    /// Stat. Comput. Simul. 46.
    static func binomial(_ count: Double, _ probs: Double, _ generator: inout some RandomNumberGenerator) -> Double {
        guard count >= 0, count.isFinite, probs >= 0, probs <= 1 else { return .nan }
        if probs > 0.5 { return count - binomial(count, 1 - probs, &generator) }
        if count * probs < 10 {
            // Walk the PMF with the recurrence P(x) = P(x − 1) · ((n + 1)·s / x − s), s = p / q.
            let q = 1 - probs
            let s = probs / q
            let a = (count + 1) * s
            var mass = Double.exp(count * Double.log(onePlus: -probs))
            var u = generator.nextUniform()
            var x = 0.0
            while u > mass && x < count {
                u -= mass
                x += 1
                mass *= a / x - s
            }
            return x
        }
        let q = 1 - probs
        let spq = (count * probs * q).squareRoot()
        let b = 1.15 + 2.53 * spq
        let a = -0.0873 + 0.0248 * b + 0.01 * probs
        let c = count * probs + 0.5
        let vr = 0.92 - 4.2 / b
        let alpha = (2.83 + 5.1 / b) * spq
        let logOdds = Double.log(probs / q)
        let mode = ((count + 1) * probs).rounded(.down)
        let h = Double.logGamma(mode + 1) + Double.logGamma(count - mode + 1)
        while true {
            let u = generator.nextUniform() - 0.5
            let v = generator.nextOpenUniform()
            let us = 0.5 - abs(u)
            let k = ((2 * a / us + b) * u + c).rounded(.down)
            if k < 0 || k > count { continue }
            if us >= 0.07 && v <= vr { return k }
            let logV = Double.log(v * alpha / (a / (us * us) + b))
            if logV <= h - Double.logGamma(k + 1) - Double.logGamma(count - k + 1) + (k - mode) * logOdds {
                return k
            }
        }
    }

    /// Inverse CDF over `probs[start ..< start + count]`, scaled by the row sum (so a row within validation
    /// tolerance of 1 is normalised); zero-probability categories are never returned.
    static func categorical(
        _ probs: ContiguousArray<Double>, start: Int, count: Int, _ generator: inout some RandomNumberGenerator
    ) -> Double {
        var sum = 0.0
        for k in start..<(start + count) { sum += probs[k] }
        var u = generator.nextUniform() * sum
        var last = 0
        for k in 0..<count {
            let p = probs[start + k]
            guard p > 0 else { continue }
            if u < p { return Double(k) }
            u -= p
            last = k
        }
        return Double(last)  // rounding left u ≥ the last positive mass
    }
}
