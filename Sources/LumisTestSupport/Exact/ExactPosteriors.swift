import Foundation
import LumisTensor

/// Exact posteriors of the reference models, computed independently of the engines.
public enum ExactPosteriors {
    /// The Gaussian-unknown-mean posterior of `mu` given observations (conjugate Normal update).
    ///
    /// - Returns: the posterior mean and stddev.
    public static func gaussianUnknownMean(observations: [Double]) -> (mean: Double, stddev: Double) {
        let priorPrecision = 1 / (GaussianUnknownMean.priorStddev * GaussianUnknownMean.priorStddev)
        let likelihoodPrecision = 1 / (GaussianUnknownMean.likelihoodStddev * GaussianUnknownMean.likelihoodStddev)
        let precision = priorPrecision + Double(observations.count) * likelihoodPrecision
        let mean =
            (priorPrecision * GaussianUnknownMean.priorMean
                + likelihoodPrecision * observations.reduce(0, +)) / precision
        return (mean, (1 / precision).squareRoot())
    }

    /// The expected effective-sample-size fraction ESS/N of importance sampling from the prior, in the large-N
    /// limit: `(E_p[w])² / E_p[w²]` with `w(mu)` the likelihood, by Gauss–Hermite-free dense quadrature over the
    /// prior (±12 prior stddevs, 200,001 points; the integrands are smooth Gaussians).
    public static func gaussianUnknownMeanESSFraction(observations: [Double]) -> Double {
        let mean = GaussianUnknownMean.priorMean, stddev = GaussianUnknownMean.priorStddev
        let points = 200_001
        let low = mean - 12 * stddev, step = 24 * stddev / Double(points - 1)
        var first = 0.0, second = 0.0
        for i in 0..<points {
            let mu = low + Double(i) * step
            let prior = normalDensity(mu, mean: mean, stddev: stddev)
            var likelihood = 1.0
            for y in observations {
                likelihood *= normalDensity(y, mean: mu, stddev: GaussianUnknownMean.likelihoodStddev)
            }
            first += prior * likelihood * step
            second += prior * likelihood * likelihood * step
        }
        return first * first / second
    }

    /// The branching model's exact posterior over `r` given `obs`, by enumerating `r` and `s` (each in 0...80,
    /// far past where Poisson(4) has mass above 1e-40).
    public static func branching(observation: Int) -> [Double] {
        var posterior = [Double](repeating: 0, count: 81)
        for r in 0...80 {
            let pr = poissonMass(r, rate: 4)
            if r > 4 {
                posterior[r] = pr * poissonMass(observation, rate: 6)
            } else {
                for s in 0...80 {
                    posterior[r] +=
                        pr * poissonMass(s, rate: 4)
                        * poissonMass(observation, rate: Branching.rate(r: r, s: s))
                }
            }
        }
        let total = posterior.reduce(0, +)
        return posterior.map { $0 / total }
    }

    /// The HMM's exact posterior state marginals (17 rows × 3) by the forward–backward algorithm.
    public static func hiddenMarkovModelMarginals(observations: [Double] = HiddenMarkovModel.observations)
        -> [[Double]]
    {
        let count = observations.count + 1
        let transitions = HiddenMarkovModel.transitions
        func emission(_ state: Int, _ t: Int) -> Double {
            normalDensity(observations[t], mean: HiddenMarkovModel.emissionMeans[state], stddev: 1)
        }
        // forward[t][k] ∝ p(x_t = k, obs before and at t); state t ≥ 1 emits obs(t−1). Rows are normalised.
        var forward = [[Double]](repeating: [0, 0, 0], count: count)
        forward[0] = HiddenMarkovModel.initial
        for t in 1..<count {
            for k in 0..<3 {
                var sum = 0.0
                for j in 0..<3 { sum += forward[t - 1][j] * transitions[j][k] }
                forward[t][k] = sum * emission(k, t - 1)
            }
            let norm = forward[t].reduce(0, +)
            forward[t] = forward[t].map { $0 / norm }
        }
        var backward = [[Double]](repeating: [1, 1, 1], count: count)
        for t in stride(from: count - 2, through: 0, by: -1) {
            for j in 0..<3 {
                var sum = 0.0
                for k in 0..<3 { sum += transitions[j][k] * emission(k, t) * backward[t + 1][k] }
                backward[t][j] = sum
            }
            let norm = backward[t].reduce(0, +)
            backward[t] = backward[t].map { $0 / norm }
        }
        return (0..<count).map { t in
            let product = (0..<3).map { forward[t][$0] * backward[t][$0] }
            let norm = product.reduce(0, +)
            return product.map { $0 / norm }
        }
    }

    /// The Normal density.
    public static func normalDensity(_ x: Double, mean: Double, stddev: Double) -> Double {
        let z = (x - mean) / stddev
        return exp(-0.5 * z * z) / (stddev * (2 * Double.pi).squareRoot())
    }

    /// The Poisson mass at `k`.
    public static func poissonMass(_ k: Int, rate: Double) -> Double {
        exp(Double(k) * log(rate) - rate - lgamma(Double(k + 1)))
    }
}

extension ExactPosteriors {
    /// ``ConjugateLatents``' exact posteriors: `rate | counts ~ Gamma(2 + Σcounts, 1 + 2)`,
    /// `p | successes ~ Beta(2 + s, 2 + 10 − s)`, and `n | reading` by enumeration over 0...200.
    ///
    /// - Returns: the posterior means and stddevs of `rate`, `p` and `n`.
    public static func conjugateLatents(counts: [Int], successes: Int, reading: Double)
        -> (rate: (mean: Double, stddev: Double), p: (mean: Double, stddev: Double), n: (mean: Double, stddev: Double))
    {
        let shape = 2 + Double(counts.reduce(0, +)), inverseScale = 1 + Double(counts.count)
        let rate = (shape / inverseScale, shape.squareRoot() / inverseScale)
        let a = 2 + Double(successes), b = 2 + Double(10 - successes)
        let p = (a / (a + b), (a * b / ((a + b) * (a + b) * (a + b + 1))).squareRoot())
        var weights: [Double] = []
        for n in 0...200 {
            weights.append(poissonMass(n, rate: 3) * normalDensity(reading, mean: Double(n), stddev: 1))
        }
        let total = weights.reduce(0, +)
        let mean = weights.enumerated().reduce(0) { $0 + Double($1.offset) * $1.element } / total
        let second = weights.enumerated().reduce(0) { $0 + Double($1.offset * $1.offset) * $1.element } / total
        return (rate, p, (mean, (second - mean * mean).squareRoot()))
    }
}
