/// Every draw of a posterior laid out as columns, one per variable: what the CSV and NetCDF writers, the plots
/// and the convergence diagnostics read.
///
/// Rows are draws, chain after chain (an importance-sampling posterior is one chain). A column holds one
/// variable: a named sample or tag, an unnamed sample by `address__instance`, or the result, in that order
/// (names and addresses sorted by their UTF-8 bytes). A draw that lacks the variable, or holds it with another
/// shape than the column's (the most common one), has NaN in every element.
public struct DrawTable: Sendable {
    /// One variable's values in every draw.
    public struct Column: Sendable {
        /// The label: the name, `address__instance`, or `(result)`.
        public var label: String
        /// Which value of each trace the column holds.
        public var selector: VariableSelector
        /// The values' shape (`[]` for scalars).
        public var shape: [Int]
        /// The number of elements per draw (`∏ shape`).
        public var elementCount: Int
        /// Values row-major by draw then element: element *e* of draw *r* is `values[r * elementCount + e]`.
        public var values: [Double]
        /// Draws that hold the variable with ``shape``.
        public var presentCount: Int
    }

    /// The number of draws of each chain.
    public var chainLengths: [Int]
    /// Each draw's normalised weight (they sum to 1 over the table; equal for MCMC and prior sampling).
    public var weights: [Double]
    /// Each draw's log weight: as the engine stored it under importance weighting, else 0 (equal weights).
    public var logWeights: [Double]
    /// The variables.
    public var columns: [Column]

    /// The total number of draws.
    public var drawCount: Int { weights.count }

    /// The row of the first draw of `chain`.
    ///
    /// - Precondition: `0 <= chain <= chainLengths.count`.
    public func firstRow(ofChain chain: Int) -> Int { chainLengths[..<chain].reduce(0, +) }

    /// Lays out the draws of an importance-sampling or prior posterior as one chain with its normalised weights.
    ///
    /// - Complexity: O(*V · N · E*) for *V* variables of *E* elements over *N* traces.
    public init(posterior: Posterior) {
        self.init(
            store: posterior.store, chainLengths: [posterior.traceCount], weights: posterior.normalizedWeights,
            logWeights: posterior.weighting == .importance
                ? posterior.store.logWeights : [Double](repeating: 0, count: posterior.traceCount))
    }

    /// Lays out the kept draws of every chain, weighted equally.
    ///
    /// - Complexity: O(*V · N · E*).
    public init(chains: ChainSet) {
        var pooled = TraceStore()
        for chain in chains.chains { pooled.append(contentsOf: chain) }
        let count = pooled.count
        self.init(
            store: pooled, chainLengths: chains.chains.map(\.count),
            weights: [Double](repeating: count > 0 ? 1 / Double(count) : 0, count: count),
            logWeights: [Double](repeating: 0, count: count))
    }

    private init(store: TraceStore, chainLengths: [Int], weights: [Double], logWeights: [Double]) {
        self.chainLengths = chainLengths
        self.weights = weights
        self.logWeights = logWeights
        var selectors = store.variableNames.map { VariableSelector.name($0) } + store.unnamedSampleSelectors
        if store.hasResults { selectors.append(.result) }
        columns = selectors.map { selector in
            let column = store.column(for: selector, isIncluded: nil)
            var values = [Double](repeating: .nan, count: store.count * column.elementCount)
            for (row, index) in column.traceIndices.enumerated() {
                let source = row * column.elementCount
                let target = index * column.elementCount
                for element in 0..<column.elementCount { values[target + element] = column.values[source + element] }
            }
            return Column(
                label: selector.description, selector: selector, shape: column.shape,
                elementCount: column.elementCount, values: values, presentCount: column.traceIndices.count)
        }
    }

    /// Element `element` of column `column` as `chains[c][d]`.
    ///
    /// - Precondition: the indices are in range.
    public func chains(ofColumn column: Int, element: Int) -> [[Double]] {
        let column = columns[column]
        precondition(element >= 0 && element < column.elementCount, "Element \(element) out of range")
        var row = 0
        return chainLengths.map { length in
            defer { row += length }
            return (row..<row + length).map { column.values[$0 * column.elementCount + element] }
        }
    }

    /// `[i,j,…]`: the label suffix of row-major element `element` of `shape`, as the CSV, the plots and the table
    /// label tensor elements.
    package static func elementLabel(_ element: Int, shape: [Int]) -> String {
        var indices = [Int](repeating: 0, count: shape.count)
        var remainder = element
        for dimension in shape.indices.reversed() where shape[dimension] > 0 {
            indices[dimension] = remainder % shape[dimension]
            remainder /= shape[dimension]
        }
        return "[" + indices.map(String.init).joined(separator: ",") + "]"
    }
}
