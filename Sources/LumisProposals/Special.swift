import LumisDistributions
import RealModule

/// Scalar special functions the proposal families need beyond RealModule: digamma, trigamma, stable logistic
/// functions and log-probabilities of standard-normal intervals that stay accurate far in the tails.
package enum Special {
    /// The Euler–Mascheroni constant γ = −ψ(1).
    package static let eulerGamma = 0.577_215_664_901_532_860_6
    /// `log(2π) / 2`.
    package static let halfLogTwoPi = 0.918_938_533_204_672_741_8
    /// `√2`.
    static let squareRootOfTwo = 1.414_213_562_373_095_048_8

    /// `log(1 + eᵗ)` without overflow; `softplus(−∞) = 0`, `softplus(+∞) = +∞`.
    package static func softplus(_ t: Double) -> Double {
        t > 0 ? t + Double.log(onePlus: Double.exp(-t)) : Double.log(onePlus: Double.exp(t))
    }

    /// The logistic function `1 / (1 + e⁻ᵗ)`, evaluated so that neither branch overflows.
    package static func sigmoid(_ t: Double) -> Double {
        if t >= 0 { return 1 / (1 + Double.exp(-t)) }
        let e = Double.exp(t)
        return e / (1 + e)
    }

    /// `a · l`, taken to be 0 when `a == 0` whatever `l` (so `0 · log 0` counts as 0, the limit at the edges of a
    /// discrete support).
    static func times(_ a: Double, _ l: Double) -> Double { a == 0 ? 0 : a * l }

    /// The digamma function ψ(x) = d log Γ(x) / dx for x > 0.
    ///
    /// The recurrence `ψ(x) = ψ(x + 1) − 1/x` lifts x to at least 10, then the asymptotic series
    /// ```
    /// ψ(x) ≈ log x − 1/(2x) − Σₙ B₂ₙ / (2n · x²ⁿ),  n = 1 … 7
    /// ```
    /// whose truncation error (the next term, `B₁₆/(16x¹⁶)`) is below 5e-17 at x = 10. Non-positive or NaN
    /// arguments give NaN.
    package static func digamma(_ x: Double) -> Double {
        guard x > 0 else { return .nan }
        guard x.isFinite else { return .infinity }
        var x = x
        var result = 0.0
        while x < 10 {
            result -= 1 / x
            x += 1
        }
        let inverse = 1 / x
        let inverse2 = inverse * inverse
        let c6 = 691.0 / 32760 - inverse2 / 12
        let c5 = 1.0 / 132 - inverse2 * c6
        let c4 = 1.0 / 240 - inverse2 * c5
        let c3 = 1.0 / 252 - inverse2 * c4
        let c2 = 1.0 / 120 - inverse2 * c3
        let series = inverse2 * (1.0 / 12 - inverse2 * c2)
        return result + Double.log(x) - 0.5 * inverse - series
    }

    /// The trigamma function ψ′(x) for x > 0.
    ///
    /// The recurrence `ψ′(x) = ψ′(x + 1) + 1/x²` lifts x to at least 10, then
    /// ```
    /// ψ′(x) ≈ 1/x + 1/(2x²) + Σₙ B₂ₙ / x²ⁿ⁺¹,  n = 1 … 7
    /// ```
    /// whose truncation error (`B₁₆/x¹⁷`) is below 1e-16 at x = 10. Non-positive or NaN arguments give NaN.
    package static func trigamma(_ x: Double) -> Double {
        guard x > 0 else { return .nan }
        guard x.isFinite else { return 0 }
        var x = x
        var result = 0.0
        while x < 10 {
            result += 1 / (x * x)
            x += 1
        }
        let inverse = 1 / x
        let inverse2 = inverse * inverse
        let c7 = 691.0 / 2730 - inverse2 * 7 / 6
        let c6 = 5.0 / 66 - inverse2 * c7
        let c5 = 1.0 / 30 - inverse2 * c6
        let c4 = 1.0 / 42 - inverse2 * c5
        let c3 = 1.0 / 30 - inverse2 * c4
        let series = inverse + inverse2 * (0.5 + inverse * (1.0 / 6 - inverse2 * c3))
        return result + series
    }

    /// `log φ(t)`, the standard normal log density.
    package static func logStandardNormalDensity(_ t: Double) -> Double { -0.5 * t * t - halfLogTwoPi }

    /// `log P(Z > t)` for a standard normal Z, accurate in the far upper tail.
    ///
    /// `log(erfc(t/√2) / 2)` up to t = 30, beyond that (where erfc approaches underflow) the Mills-ratio series
    /// `Q(t) = φ(t)/t · (1 − 1/t² + 3/t⁴ − 15/t⁶ + 105/t⁸ − …)`, whose truncation error there is below 2e-12.
    package static func logUpperTail(_ t: Double) -> Double {
        if t < 30 { return Double.log(0.5 * Double.erfc(t / squareRootOfTwo)) }
        let inverse2 = 1 / (t * t)
        let series = inverse2 * (1 - inverse2 * (3 - inverse2 * (15 - inverse2 * 105)))
        return -0.5 * t * t - Double.log(t) - halfLogTwoPi + Double.log(onePlus: -series)
    }

    /// `log(Φ(β) − Φ(α))` for α < β: the log probability that a standard normal falls in [α, β].
    ///
    /// When the interval straddles 0 the probability is `(erf(β/√2) − erf(α/√2)) / 2`, a sum of two terms of the
    /// same sign (no cancellation). When it lies in one tail we work with upper-tail probabilities in log space,
    /// `log Q(α) + log(1 − Q(β)/Q(α))` (mirrored for the lower tail), so that intervals 40 standard deviations
    /// out still get a finite, accurate value.
    package static func logNormalIntervalProbability(_ alpha: Double, _ beta: Double) -> Double {
        if alpha >= 0 {
            let logA = logUpperTail(alpha)
            return logA + Double.log(onePlus: -Double.exp(logUpperTail(beta) - logA))
        }
        if beta <= 0 {
            let logB = logUpperTail(-beta)
            return logB + Double.log(onePlus: -Double.exp(logUpperTail(-alpha) - logB))
        }
        return Double.log(0.5 * (Double.erf(beta / squareRootOfTwo) - Double.erf(alpha / squareRootOfTwo)))
    }

    /// A standard normal variate conditioned on [α, β] (α < β, both finite), by rejection.
    ///
    /// Robert (1995), "Simulation of truncated normal variables", Statistics and Computing 5: inside the
    /// interval, a uniform proposal accepted with probability `exp((m² − z²)/2)` (m the point of [α, β] nearest
    /// 0) when the interval is short; a plain normal proposal when it straddles 0 and is at least √(2π) long;
    /// an exponential proposal of rate `(α + √(α² + 4))/2` for long intervals in a tail. Every branch accepts
    /// with probability above about 0.4, so the expected number of rounds is small and bounded. Non-finite or
    /// empty intervals give NaN rather than looping.
    package static func truncatedStandardNormal(
        _ alpha: Double, _ beta: Double, _ generator: inout some RandomNumberGenerator
    ) -> Double {
        guard alpha < beta, alpha.isFinite, beta.isFinite else { return .nan }
        if alpha > 0 { return upperTruncatedStandardNormal(alpha, beta, &generator) }
        if beta < 0 { return -upperTruncatedStandardNormal(-beta, -alpha, &generator) }
        if beta - alpha < 2.506_628_274_631_000_5 {  // √(2π): the uniform proposal accepts more often
            while true {
                let z = alpha + (beta - alpha) * generator.nextUniform()
                if Double.log(generator.nextOpenUniform()) <= -0.5 * z * z { return z }
            }
        }
        while true {
            let z = generator.nextStandardNormal()
            if z >= alpha && z <= beta { return z }
        }
    }

    /// The case 0 < α < β of ``truncatedStandardNormal(_:_:_:)``.
    private static func upperTruncatedStandardNormal(
        _ alpha: Double, _ beta: Double, _ generator: inout some RandomNumberGenerator
    ) -> Double {
        let root = (alpha * alpha + 4).squareRoot()
        let rate = 0.5 * (alpha + root)
        // Robert's threshold: below it the uniform proposal's acceptance rate beats the exponential one's.
        let threshold = 2 * Double.exp(0.5) / (alpha + root) * Double.exp(0.25 * (alpha * alpha - alpha * root))
        if beta - alpha < threshold {
            while true {
                let z = alpha + (beta - alpha) * generator.nextUniform()
                if Double.log(generator.nextOpenUniform()) <= 0.5 * (alpha * alpha - z * z) { return z }
            }
        }
        while true {
            let z = alpha - Double.log(generator.nextOpenUniform()) / rate
            if z > beta { continue }
            let d = z - rate
            if Double.log(generator.nextOpenUniform()) <= -0.5 * d * d { return z }
        }
    }
}
