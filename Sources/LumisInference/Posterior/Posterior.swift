import Glibc

/// A weighted empirical distribution over the traces of a ``TraceStore``: pyprob's `Empirical`, with log
/// weights kept in `Double` and every trace accounted for.
///
/// Normalised weights are `wᵢ = exp(ℓᵢ − logsumexp ℓ)`, computed from the largest finite log weight so nothing
/// overflows. Unlike pyprob (docs/reference/pyprob-engine.md §7.2 item 3), no trace is dropped:
/// - a trace with log weight −∞ keeps weight 0 and counts in the evidence estimate's *N*;
/// - a trace whose log weight is NaN or +∞ (not a valid log weight) is left out of the weighting and counted in
///   ``nanWeightCount``.
///
/// When no trace has a finite log weight, statistics are undefined and throw ``PosteriorError/noUsableWeight``.
public struct Posterior: Sendable {
    /// How traces are weighted.
    public enum Weighting: String, Sendable {
        /// By their log importance weights (importance sampling).
        case importance
        /// All equal, ignoring log weights (prior sampling, MCMC chains).
        case uniform
    }

    /// How ``resample(count:method:using:)`` draws.
    public enum ResamplingMethod: Sendable {
        /// Independent categorical draws, returned in random order.
        case multinomial
        /// One uniform offset and evenly spaced points (lower variance), returned in ascending trace order.
        case systematic
    }

    /// The quantile levels reported by default: 5%, 25%, 50%, 75% and 95%.
    public static let defaultQuantileLevels: [Double] = [0.05, 0.25, 0.5, 0.75, 0.95]

    /// The traces.
    public let store: TraceStore
    /// How traces are weighted.
    public let weighting: Weighting
    /// The normalised weight of every trace (0 for −∞, NaN and +∞ log weights); all 0 when undefined.
    public let normalizedWeights: [Double]
    /// Traces whose log weight is NaN or +∞, excluded from the weighting.
    ///
    /// Always 0 for uniform weighting.
    public let nanWeightCount: Int
    /// The log marginal-likelihood estimate `log Ẑ = logsumexp(ℓ) − log N`.
    ///
    /// *N* counts every trace with a non-NaN log weight, including −∞ ones. The estimate is −∞ if all those
    /// weights are −∞, and `nil` when there is no such trace or the weighting is uniform.
    public let logEvidence: Double?
    /// The effective sample size `(Σ wᵢ)² / Σ wᵢ²` (that is `1 / Σ wᵢ²`), or `nil` if no trace has positive
    /// weight.
    public let effectiveSampleSize: Double?
    /// Which traces take part in the weighting; `nil` when all do.
    private let isWeighted: [Bool]?

    /// Builds the weighted distribution of `store`'s traces.
    ///
    /// - Complexity: O(*N*).
    public init(store: TraceStore, weighting: Weighting = .importance) {
        self.store = store
        self.weighting = weighting
        let count = store.count
        guard weighting == .importance else {
            nanWeightCount = 0
            isWeighted = nil
            logEvidence = nil
            normalizedWeights = [Double](repeating: count > 0 ? 1 / Double(count) : 0, count: count)
            effectiveSampleSize = count > 0 ? Double(count) : nil
            return
        }
        let logWeights = store.logWeights
        var nanCount = 0
        var maximum = -Double.infinity
        for logWeight in logWeights {
            if logWeight.isNaN || logWeight == .infinity {
                nanCount += 1
            } else if logWeight > maximum {
                maximum = logWeight
            }
        }
        nanWeightCount = nanCount
        isWeighted = nanCount == 0 ? nil : logWeights.map { !($0.isNaN || $0 == .infinity) }
        let weightedCount = count - nanCount
        guard maximum.isFinite else {
            normalizedWeights = [Double](repeating: 0, count: count)
            effectiveSampleSize = nil
            logEvidence = weightedCount > 0 ? -.infinity : nil
            return
        }
        // logsumexp around the largest finite log weight.
        var scaled = CompensatedSum()
        for logWeight in logWeights where logWeight.isFinite { scaled.add((logWeight - maximum).exp) }
        let logTotal = maximum + scaled.value.log
        logEvidence = logTotal - Double(weightedCount).log
        var weights = [Double](repeating: 0, count: count)
        var sum = CompensatedSum()
        var sumOfSquares = CompensatedSum()
        for (index, logWeight) in logWeights.enumerated() where logWeight.isFinite {
            let weight = (logWeight - logTotal).exp
            weights[index] = weight
            sum.add(weight)
            sumOfSquares.add(weight * weight)
        }
        normalizedWeights = weights
        effectiveSampleSize = sum.value * sum.value / sumOfSquares.value
    }

    /// The number of traces, including those with −∞, NaN or +∞ log weights.
    public var traceCount: Int { store.count }

    /// Whether normalised weights exist (some trace has positive weight).
    public var hasUsableWeights: Bool { effectiveSampleSize != nil }

    /// Weighted mean, population standard deviation and quantiles of a variable, elementwise.
    ///
    /// Only traces holding the variable count; their weights are renormalised among themselves (from the log
    /// weights, so small subsets do not underflow). A quantile at level `q` is the smallest value *x*, among
    /// the values with positive weight sorted ascending, whose cumulative normalised weight is at least `q`
    /// (the inverse of the weighted empirical CDF). Cumulative weights within `1e-12` of `q` count as
    /// reaching it, so that equal weights give the textbook answer despite rounding (e.g. the 0.5-quantile of
    /// four equally weighted values is the second smallest). Level 0 gives the smallest value with positive
    /// weight.
    /// - Parameters:
    ///   - selector: the variable.
    ///   - quantileLevels: the levels to report.
    /// - Returns: the statistics. Sums are compensated, so means of millions of traces keep full precision.
    /// - Throws: ``PosteriorError/noUsableWeight(traceCount:nanWeightCount:)`` or
    ///   ``PosteriorError/undefinedVariable(_:count:missingCount:)``.
    /// - Precondition: every level is in `[0, 1]`.
    /// - Complexity: O(*N* + *E·N* log *N*) for *N* traces of *E* elements.
    public func statistics(
        of selector: VariableSelector, quantileLevels: [Double] = Posterior.defaultQuantileLevels
    ) throws(PosteriorError) -> VariableStatistics {
        precondition(quantileLevels.allSatisfy { $0 >= 0 && $0 <= 1 }, "Quantile levels must be in [0, 1]")
        let (column, weights) = try weightedColumn(for: selector)
        let elementCount = column.elementCount
        var meanSums = [CompensatedSum](repeating: CompensatedSum(), count: elementCount)
        var varianceSums = meanSums
        var mean = [Double](repeating: 0, count: elementCount)
        column.values.withUnsafeBufferPointer { values in
            weights.withUnsafeBufferPointer { weights in
                meanSums.withUnsafeMutableBufferPointer { sums in
                    for row in 0..<weights.count where weights[row] > 0 {
                        let base = row * elementCount
                        for element in 0..<elementCount { sums[element].add(weights[row] * values[base + element]) }
                    }
                }
                for element in 0..<elementCount { mean[element] = meanSums[element].value }
                // Two passes: Σ w (x − mean)² avoids the cancellation of Σ w x² − mean².
                varianceSums.withUnsafeMutableBufferPointer { sums in
                    for row in 0..<weights.count where weights[row] > 0 {
                        let base = row * elementCount
                        for element in 0..<elementCount {
                            let deviation = values[base + element] - mean[element]
                            sums[element].add(weights[row] * deviation * deviation)
                        }
                    }
                }
            }
        }
        let stddev = varianceSums.map { $0.value.squareRoot() }
        var quantiles: [Double: [Double]] = [:]
        for level in quantileLevels { quantiles[level] = [] }
        var pairs: [(value: Double, weight: Double)] = []
        pairs.reserveCapacity(weights.count)
        for element in 0..<elementCount {
            pairs.removeAll(keepingCapacity: true)
            for (row, weight) in weights.enumerated() where weight > 0 {
                pairs.append((column.values[row * elementCount + element], weight))
            }
            pairs.sort { !$1.value.isTotallyOrdered(belowOrEqualTo: $0.value) }
            for level in quantileLevels { quantiles[level]?.append(Self.quantile(level, ofSorted: pairs)) }
        }
        return VariableStatistics(
            shape: column.shape, count: column.traceIndices.count, missingCount: column.missingCount,
            shapeMismatchCount: column.shapeMismatchCount, mean: mean, stddev: stddev, quantiles: quantiles)
    }

    /// A weighted histogram of one element of a variable.
    ///
    /// - Parameters:
    ///   - selector: the variable.
    ///   - element: the row-major element index for tensor values.
    ///   - binCount: the number of equal-width bins.
    ///   - range: the histogram's extent; by default the smallest to largest finite value with positive weight
    ///     (widened by ±0.5 if they are equal).
    /// - Returns: the normalised weight per bin (the weights renormalised over traces holding the variable).
    /// - Throws: as ``statistics(of:quantileLevels:)``, or
    ///   ``PosteriorError/elementOutOfRange(_:element:elementCount:)``.
    /// - Precondition: `binCount > 0`; `range` is finite with positive width.
    /// - Complexity: O(*N*).
    public func histogram(
        of selector: VariableSelector, element: Int = 0, binCount: Int, range: ClosedRange<Double>? = nil
    ) throws(PosteriorError) -> WeightedHistogram {
        precondition(binCount > 0, "A histogram needs at least one bin")
        if let range {
            precondition(
                range.lowerBound.isFinite && range.upperBound.isFinite && range.upperBound > range.lowerBound,
                "Histogram range \(range) must be finite with positive width")
        }
        let (column, weights) = try weightedColumn(for: selector)
        guard element >= 0 && element < column.elementCount else {
            throw .elementOutOfRange(selector, element: element, elementCount: column.elementCount)
        }
        let stride = column.elementCount
        var lower = range?.lowerBound ?? .infinity
        var upper = range?.upperBound ?? -.infinity
        if range == nil {
            for (row, weight) in weights.enumerated() where weight > 0 {
                let value = column.values[row * stride + element]
                if value.isFinite {
                    lower = min(lower, value)
                    upper = max(upper, value)
                }
            }
            if !lower.isFinite {
                (lower, upper) = (0, 1)
            } else if lower == upper {
                (lower, upper) = (lower - 0.5, upper + 0.5)
            }
        }
        var bins = [CompensatedSum](repeating: CompensatedSum(), count: binCount)
        var outside = CompensatedSum()
        let width = upper - lower
        for (row, weight) in weights.enumerated() where weight > 0 {
            let value = column.values[row * stride + element]
            guard value >= lower && value <= upper else {
                outside.add(weight)
                continue
            }
            let bin = min(Int((value - lower) / width * Double(binCount)), binCount - 1)
            bins[bin].add(weight)
        }
        let edges = (0...binCount).map { $0 == binCount ? upper : lower + width * Double($0) / Double(binCount) }
        return WeightedHistogram(edges: edges, weights: bins.map(\.value), outsideWeight: outside.value)
    }

    /// Draws `count` trace indices with probabilities equal to the normalised weights: an unweighted sample
    /// from the posterior.
    ///
    /// Traces with zero weight are never drawn.
    /// - Parameters:
    ///   - count: the number of draws.
    ///   - method: multinomial (independent draws, random order) or systematic (ascending order).
    ///   - generator: the caller's seeded generator.
    /// - Throws: ``PosteriorError/noUsableWeight(traceCount:nanWeightCount:)``.
    /// - Precondition: `count >= 0`.
    /// - Complexity: O(*N* + `count`).
    public func resample(
        count: Int, method: ResamplingMethod = .multinomial, using generator: inout some RandomNumberGenerator
    ) throws(PosteriorError) -> [Int] {
        precondition(count >= 0, "Cannot draw \(count) samples")
        guard hasUsableWeights else { throw .noUsableWeight(traceCount: traceCount, nanWeightCount: nanWeightCount) }
        guard count > 0 else { return [] }
        // Ascending uniform points in (0, 1): sorted uniforms from exponential spacings, or a systematic grid.
        var points = [Double](repeating: 0, count: count)
        switch method {
        case .multinomial:
            var total = 0.0
            for index in 0..<count {
                total += -(1 - Double.random(in: 0..<1, using: &generator)).log
                points[index] = total
            }
            total += -(1 - Double.random(in: 0..<1, using: &generator)).log
            for index in 0..<count { points[index] /= total }
        case .systematic:
            let offset = Double.random(in: 0..<1, using: &generator)
            for index in 0..<count { points[index] = (Double(index) + offset) / Double(count) }
        }
        let weights = normalizedWeights
        var total = CompensatedSum()
        for weight in weights { total.add(weight) }
        let lastPositive = weights.lastIndex { $0 > 0 } ?? 0
        var draws = [Int](repeating: 0, count: count)
        var index = 0
        var cumulative = CompensatedSum()
        cumulative.add(weights[0])
        for (drawIndex, point) in points.enumerated() {
            let target = point * total.value
            while index < lastPositive && (cumulative.value < target || weights[index] == 0) {
                index += 1
                cumulative.add(weights[index])
            }
            draws[drawIndex] = index
        }
        if method == .multinomial {
            // Sorted draws are a multiset; shuffling makes them an exchangeable sequence of independent draws.
            for position in stride(from: count - 1, to: 0, by: -1) {
                draws.swapAt(position, Int.random(in: 0...position, using: &generator))
            }
        }
        return draws
    }

    /// The column of `selector` and its weights renormalised over the traces that hold it.
    func weightedColumn(for selector: VariableSelector) throws(PosteriorError) -> (TraceStore.Column, [Double]) {
        guard hasUsableWeights else { throw .noUsableWeight(traceCount: traceCount, nanWeightCount: nanWeightCount) }
        let column = store.column(for: selector, isIncluded: isWeighted)
        var weights = [Double](repeating: 0, count: column.traceIndices.count)
        if weighting == .uniform {
            if !weights.isEmpty { weights = [Double](repeating: 1 / Double(weights.count), count: weights.count) }
        } else {
            let logWeights = store.logWeights
            var maximum = -Double.infinity
            for index in column.traceIndices { maximum = max(maximum, logWeights[index]) }
            if maximum.isFinite {
                var total = CompensatedSum()
                for (row, index) in column.traceIndices.enumerated() {
                    let weight = (logWeights[index] - maximum).exp
                    weights[row] = weight
                    total.add(weight)
                }
                let scale = 1 / total.value
                for row in weights.indices { weights[row] *= scale }
            }
        }
        guard weights.contains(where: { $0 > 0 }) else {
            throw .undefinedVariable(selector, count: column.traceIndices.count, missingCount: column.missingCount)
        }
        return (column, weights)
    }

    /// The smallest value whose cumulative weight reaches `level` (see ``statistics(of:quantileLevels:)``).
    private static func quantile(_ level: Double, ofSorted pairs: [(value: Double, weight: Double)]) -> Double {
        var total = CompensatedSum()
        for pair in pairs { total.add(pair.weight) }
        let target = level * total.value - 1e-12 * total.value
        var cumulative = CompensatedSum()
        for pair in pairs {
            cumulative.add(pair.weight)
            if cumulative.value >= target { return pair.value }
        }
        return pairs[pairs.count - 1].value
    }
}

extension Double {
    /// The natural exponential (libm).
    fileprivate var exp: Double { Glibc.exp(self) }
    /// The natural logarithm (libm).
    fileprivate var log: Double { Glibc.log(self) }
}
