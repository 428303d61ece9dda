import Glibc

/// Convergence diagnostics of Markov chains over one scalar: rank-normalised split R-hat, bulk and tail
/// effective sample sizes, the Monte Carlo standard error of the mean, and autocorrelation.
///
/// The definitions are those of Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021), "Rank-normalization,
/// folding, and localization: an improved R-hat for assessing convergence of MCMC", as Stan and ArviZ compute
/// them (ArviZ `rhat(method="rank")`, `ess(method="bulk"|"tail"|"mean")`, `mcse(method="mean")`); the test
/// suite checks them against ArviZ to 1e-9 relative.
///
/// Every function takes `chains[c][d]`, draw *d* of chain *c*, all chains of equal length. A result is `nil`
/// where ArviZ gives NaN: fewer than 4 draws per chain (or fewer than 2 chains for R-hat), a NaN among the
/// draws, or an undefined ratio (e.g. R-hat of a constant).
public enum ConvergenceDiagnostics {
    /// The rank-normalised split R-hat: the larger of the bulk R-hat (of rank-normalised split chains) and the
    /// tail R-hat (of the same after folding around the median).
    ///
    /// ```
    /// R̂ = √((N − 1)/N + B / (N W))   (B = N · var(chain means), W = mean(chain variances), over split chains)
    /// ```
    /// - Precondition: all chains have the same length.
    /// - Complexity: O(*M* log *M*) for *M* draws in all.
    public static func splitRHat(_ chains: [[Double]]) -> Double? {
        guard isValid(chains, minimumChains: 2) else { return nil }
        let split = splitChains(chains)
        let bulk = plainRHat(zScale(split))
        let median = quantile(0.5, ofSorted: split.flatMap { $0 }.sorted())
        let tail = plainRHat(zScale(split.map { $0.map { abs($0 - median) } }))
        guard let bulk, let tail else { return nil }
        return max(bulk, tail)
    }

    /// The bulk effective sample size: the ESS of the rank-normalised split chains.
    ///
    /// - Precondition: all chains have the same length.
    /// - Complexity: O(*M* log *M*).
    public static func bulkEffectiveSampleSize(_ chains: [[Double]]) -> Double? {
        guard isValid(chains, minimumChains: 1) else { return nil }
        return effectiveSampleSize(zScale(splitChains(chains)))
    }

    /// The tail effective sample size: the smaller of the ESS of the indicators `x ≤ q₀.₀₅` and `x ≤ q₀.₉₅`
    /// over the split chains, with the quantiles taken over all draws (linear interpolation, type 7).
    ///
    /// - Precondition: all chains have the same length.
    /// - Complexity: O(*M* log *M*).
    public static func tailEffectiveSampleSize(_ chains: [[Double]]) -> Double? {
        guard isValid(chains, minimumChains: 1) else { return nil }
        let sorted = chains.flatMap { $0 }.sorted()
        var smallest: Double?
        for level in [0.05, 0.95] {
            let threshold = quantile(level, ofSorted: sorted)
            let indicators = chains.map { $0.map { $0 <= threshold ? 1.0 : 0.0 } }
            guard let ess = effectiveSampleSize(splitChains(indicators)) else { return nil }
            smallest = min(smallest ?? ess, ess)
        }
        return smallest
    }

    /// The effective sample size of the mean: the ESS of the split chains (not rank-normalised).
    ///
    /// - Precondition: all chains have the same length.
    public static func meanEffectiveSampleSize(_ chains: [[Double]]) -> Double? {
        guard isValid(chains, minimumChains: 1) else { return nil }
        return effectiveSampleSize(splitChains(chains))
    }

    /// The Monte Carlo standard error of the mean, `sd / √ESS_mean`, with `sd` the sample standard deviation
    /// (divisor *M* − 1) of all draws.
    ///
    /// - Precondition: all chains have the same length.
    public static func meanStandardError(_ chains: [[Double]]) -> Double? {
        guard isValid(chains, minimumChains: 1), let ess = meanEffectiveSampleSize(chains) else { return nil }
        let all = chains.flatMap { $0 }
        let mean = all.reduce(0, +) / Double(all.count)
        let variance = all.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(all.count - 1)
        let result = (variance / ess).squareRoot()
        return result.isFinite ? result : nil
    }

    /// The effective sample size of the chains as given (no splitting, no rank normalisation), from Geyer's
    /// initial monotone sequence of summed autocorrelation pairs, as Stan.
    ///
    /// `ESS = M / τ̂` with `τ̂ = −1 + 2 Σ ρ̂ₜ` over the truncated sequence, floored at `1 / log₁₀ M`. A constant
    /// input (range below 1e-15) gives *M*.
    /// - Precondition: all chains have the same length; `nil` below 2 draws.
    /// - Complexity: O(*M* log *M*) (autocovariances by FFT).
    public static func effectiveSampleSize(_ chains: [[Double]]) -> Double? {
        precondition(!chains.isEmpty && chains.allSatisfy { $0.count == chains[0].count }, "Ragged chains")
        let chainCount = chains.count
        let drawCount = chains[0].count
        guard drawCount >= 2, !chains.contains(where: { $0.contains { $0.isNaN } }) else { return nil }
        var lowest = Double.infinity
        var highest = -Double.infinity
        for chain in chains {
            for value in chain {
                lowest = min(lowest, value)
                highest = max(highest, value)
            }
        }
        // numpy's float64 resolution: ArviZ treats a spread below it as a constant.
        if highest - lowest < 1e-15 { return Double(chainCount * drawCount) }
        let n = Double(drawCount)
        let autocovariances = chains.map { autocovariance($0) }
        let chainMeans = chains.map { $0.reduce(0, +) / n }
        func meanAutocovariance(_ lag: Int) -> Double {
            autocovariances.reduce(0) { $0 + $1[lag] } / Double(chainCount)
        }
        let meanVariance = meanAutocovariance(0) * n / (n - 1)
        var varPlus = meanVariance * (n - 1) / n
        if chainCount > 1 { varPlus += sampleVariance(chainMeans) }
        var rho = [Double](repeating: 0, count: drawCount)
        var rhoEven = 1.0
        rho[0] = rhoEven
        var rhoOdd = 1 - (meanVariance - meanAutocovariance(1)) / varPlus
        rho[1] = rhoOdd
        // Geyer's initial positive sequence.
        var t = 1
        while t < drawCount - 3 && rhoEven + rhoOdd > 0 {
            rhoEven = 1 - (meanVariance - meanAutocovariance(t + 1)) / varPlus
            rhoOdd = 1 - (meanVariance - meanAutocovariance(t + 2)) / varPlus
            if rhoEven + rhoOdd >= 0 {
                rho[t + 1] = rhoEven
                rho[t + 2] = rhoOdd
            }
            t += 2
        }
        let maxT = t - 2
        if rhoEven > 0 { rho[maxT + 1] = rhoEven }
        // Geyer's initial monotone sequence.
        t = 1
        while t <= maxT - 2 {
            if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t] {
                rho[t + 1] = (rho[t - 1] + rho[t]) / 2
                rho[t + 2] = rho[t + 1]
            }
            t += 2
        }
        let total = Double(chainCount * drawCount)
        var tau = -1.0
        for lag in 0..<maxT + 1 { tau += 2 * rho[lag] }  // maxT is -1 when the first pair is already negative
        if maxT + 1 < drawCount { tau += rho[maxT + 1] }
        tau = max(tau, 1 / log10(total))
        let ess = total / tau
        return rho.contains(where: \.isNaN) || !ess.isFinite ? nil : ess
    }

    /// The autocovariances of one chain at lags `0..<n`, `γₖ = (1/n) Σᵢ (xᵢ − x̄)(xᵢ₊ₖ − x̄)`.
    ///
    /// - Complexity: O(*n* log *n*) (zero-padded FFT).
    public static func autocovariance(_ chain: [Double]) -> [Double] {
        let n = chain.count
        guard n > 0 else { return [] }
        let mean = chain.reduce(0, +) / Double(n)
        var size = 1
        while size < 2 * n { size <<= 1 }
        var real = [Double](repeating: 0, count: size)
        var imaginary = [Double](repeating: 0, count: size)
        for index in 0..<n { real[index] = chain[index] - mean }
        fourierTransform(&real, &imaginary, inverse: false)
        for index in 0..<size {
            real[index] = real[index] * real[index] + imaginary[index] * imaginary[index]
            imaginary[index] = 0
        }
        fourierTransform(&real, &imaginary, inverse: true)
        let scale = 1 / (Double(size) * Double(n))
        return (0..<n).map { real[$0] * scale }
    }

    /// The autocorrelations of one chain at lags `0..<min(n, maxLag + 1)`: autocovariances over the lag-0 one
    /// (all zero after lag 0 for a constant chain, where the ratio is undefined).
    ///
    /// - Complexity: O(*n* log *n*).
    public static func autocorrelation(_ chain: [Double], maxLag: Int = .max) -> [Double] {
        precondition(maxLag >= 0, "Negative maximum lag")
        let covariances = autocovariance(chain)
        guard let variance = covariances.first else { return [] }
        let count = maxLag >= covariances.count ? covariances.count : maxLag + 1
        if variance == 0 { return (0..<count).map { $0 == 0 ? 1 : 0 } }
        return (0..<count).map { covariances[$0] / variance }
    }

    /// The type-7 quantile (linear interpolation between order statistics, as numpy and R's default) of
    /// ascending `sorted` values.
    ///
    /// - Precondition: `sorted` is non-empty and `0 <= level <= 1`.
    public static func quantile(_ level: Double, ofSorted sorted: [Double]) -> Double {
        precondition(!sorted.isEmpty && level >= 0 && level <= 1, "Quantile of nothing or level outside [0, 1]")
        let position = Double(sorted.count - 1) * level
        let lower = Int(position.rounded(.down))
        let fraction = position - Double(lower)
        guard lower + 1 < sorted.count, fraction > 0 else { return sorted[lower] }
        return sorted[lower] + fraction * (sorted[lower + 1] - sorted[lower])
    }

    // MARK: Helpers

    private static func isValid(_ chains: [[Double]], minimumChains: Int) -> Bool {
        precondition(!chains.isEmpty && chains.allSatisfy { $0.count == chains[0].count }, "Ragged chains")
        return chains.count >= minimumChains && chains[0].count >= 4
            && !chains.contains(where: { $0.contains { $0.isNaN } })
    }

    /// The first and last halves of every chain as separate chains; an odd chain's middle draw is dropped.
    static func splitChains(_ chains: [[Double]]) -> [[Double]] {
        let half = chains[0].count / 2
        return chains.map { Array($0.prefix(half)) } + chains.map { Array($0.suffix(half)) }
    }

    /// Rank normalisation: average ranks over all draws (ties share their mean rank) mapped through
    /// `Φ⁻¹((r − 3/8) / (M + 1/4))` (Blom 1958).
    static func zScale(_ chains: [[Double]]) -> [[Double]] {
        let flat = chains.flatMap { $0 }
        let order = flat.indices.sorted { flat[$0] < flat[$1] }
        var ranks = [Double](repeating: 0, count: flat.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && flat[order[end]] == flat[order[start]] { end += 1 }
            let rank = Double(start + 1 + end) / 2  // mean of ranks start+1 ... end
            for position in start..<end { ranks[order[position]] = rank }
            start = end
        }
        let denominator = Double(flat.count) + 0.25
        var result: [[Double]] = []
        var offset = 0
        for chain in chains {
            result.append((0..<chain.count).map { inverseNormalCDF((ranks[offset + $0] - 0.375) / denominator) })
            offset += chain.count
        }
        return result
    }

    /// The classic R-hat of the chains as given (`nil` if undefined).
    static func plainRHat(_ chains: [[Double]]) -> Double? {
        let n = Double(chains[0].count)
        let means = chains.map { $0.reduce(0, +) / n }
        let within = chains.map(sampleVariance).reduce(0, +) / Double(chains.count)
        let between = n * sampleVariance(means)
        let result = ((between / within + n - 1) / n).squareRoot()
        return result.isFinite ? result : nil
    }

    private static func sampleVariance(_ values: [Double]) -> Double {
        let mean = values.reduce(0, +) / Double(values.count)
        return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
    }

    /// In-place iterative radix-2 FFT; `inverse` uses the conjugate twiddles and does not scale.
    private static func fourierTransform(_ real: inout [Double], _ imaginary: inout [Double], inverse: Bool) {
        let n = real.count
        var j = 0
        for i in 1..<n {
            var bit = n >> 1
            while j & bit != 0 {
                j ^= bit
                bit >>= 1
            }
            j |= bit
            if i < j {
                real.swapAt(i, j)
                imaginary.swapAt(i, j)
            }
        }
        var length = 2
        while length <= n {
            let angle = (inverse ? 2 : -2) * Double.pi / Double(length)
            for start in stride(from: 0, to: n, by: length) {
                for k in 0..<length / 2 {
                    let wr = cos(angle * Double(k))
                    let wi = sin(angle * Double(k))
                    let a = start + k
                    let b = a + length / 2
                    let tr = real[b] * wr - imaginary[b] * wi
                    let ti = real[b] * wi + imaginary[b] * wr
                    real[b] = real[a] - tr
                    imaginary[b] = imaginary[a] - ti
                    real[a] += tr
                    imaginary[a] += ti
                }
            }
            length <<= 1
        }
    }
}

/// The standard normal quantile function Φ⁻¹(p): Acklam's rational approximation refined by one Halley step
/// on `erfc`, accurate to about 1e-15 relative.
///
/// - Precondition: `0 < p < 1`.
func inverseNormalCDF(_ p: Double) -> Double {
    precondition(p > 0 && p < 1, "Normal quantile of \(p) outside (0, 1)")
    // Work in the lower half, where 1 − p is exact for the upper one (Sterbenz).
    if p > 0.5 { return -inverseNormalCDF(1 - p) }
    let a = [
        -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
        -3.066479806614716e+01, 2.506628277459239e+00,
    ]
    let b = [
        -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
        -1.328068155288572e+01,
    ]
    let c = [
        -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
        4.374664141464968e+00, 2.938163982698783e+00,
    ]
    let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
    var x: Double
    if p < 0.02425 {
        let q = (-2 * log(p)).squareRoot()
        x =
            (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
            / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    } else {
        let q = p - 0.5
        let r = q * q
        x =
            (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }
    let error = 0.5 * erfc(-x / 2.0.squareRoot()) - p
    let u = error * (2 * Double.pi).squareRoot() * exp(x * x / 2)
    x -= u / (1 + x * u / 2)
    return x
}
