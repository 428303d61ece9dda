/// Weighted statistics of one variable, elementwise for tensor values.
///
/// Arrays hold one number per element of ``shape``, in row-major order (a scalar has one).
public struct VariableStatistics: Sendable, Equatable {
    /// The shape of the values the statistics are about.
    public var shape: [Int]
    /// The traces that hold the variable with ``shape`` and contributed.
    public var count: Int
    /// The weighted traces that lack the variable.
    public var missingCount: Int
    /// The weighted traces whose value has another shape than ``shape`` (left out).
    public var shapeMismatchCount: Int
    /// The weighted mean `Σ wᵢ xᵢ`.
    public var mean: [Double]
    /// The weighted population standard deviation `√(Σ wᵢ (xᵢ − mean)²)`, as pyprob.
    public var stddev: [Double]
    /// Weighted quantiles by level (see ``Posterior/statistics(of:quantileLevels:)`` for the definition).
    public var quantiles: [Double: [Double]]
    /// Convergence diagnostics over chains (MCMC runs whose every draw holds the variable), else `nil`.
    public var diagnostics: ChainDiagnostics?

    /// Creates statistics from their parts.
    public init(
        shape: [Int], count: Int, missingCount: Int, shapeMismatchCount: Int, mean: [Double], stddev: [Double],
        quantiles: [Double: [Double]]
    ) {
        self.shape = shape
        self.count = count
        self.missingCount = missingCount
        self.shapeMismatchCount = shapeMismatchCount
        self.mean = mean
        self.stddev = stddev
        self.quantiles = quantiles
    }
}

/// A weighted histogram of one element of a variable.
public struct WeightedHistogram: Sendable, Equatable {
    /// The bin edges, `binCount + 1` ascending numbers; bin *k* is `[edges[k], edges[k+1])`, the last bin also
    /// holds its upper edge.
    public var edges: [Double]
    /// The normalised weight falling in each bin.
    public var weights: [Double]
    /// The normalised weight of values outside the range (or NaN).
    public var outsideWeight: Double
}

/// Why a posterior statistic cannot be computed.
public enum PosteriorError: Error, Equatable, CustomStringConvertible {
    /// No trace has a usable (finite, non-NaN) log weight, so normalised weights do not exist.
    case noUsableWeight(traceCount: Int, nanWeightCount: Int)
    /// No weighted trace with positive weight holds the variable.
    case undefinedVariable(VariableSelector, count: Int, missingCount: Int)
    /// An element index outside the variable's shape.
    case elementOutOfRange(VariableSelector, element: Int, elementCount: Int)

    /// A message naming the problem.
    public var description: String {
        switch self {
        case .noUsableWeight(let traces, let nan):
            "posterior statistics are undefined: none of the \(traces) traces has a finite log weight "
                + "(\(nan) NaN or +inf)"
        case .undefinedVariable(let selector, let count, let missing):
            "statistics of '\(selector)' are undefined: \(count) traces hold it, none with positive weight "
                + "(\(missing) lack it)"
        case .elementOutOfRange(let selector, let element, let elementCount):
            "element \(element) of '\(selector)' is out of range 0..<\(elementCount)"
        }
    }
}
