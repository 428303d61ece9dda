extension Matrix {
    /// The matrices side by side: row `r` is the concatenation of every part's row `r`.
    ///
    /// For example the LSTM input `[observation embedding | previous sample | addresses]`.
    ///
    /// - Precondition: `parts` is non-empty and every part has the same number of rows.
    public init(concatenatingColumns parts: [Matrix]) {
        precondition(!parts.isEmpty, "Nothing to concatenate")
        let rows = parts[0].rows
        precondition(parts.allSatisfy { $0.rows == rows }, "Concatenated matrices differ in row count")
        let columns = parts.reduce(0) { $0 + $1.columns }
        var scalars: [Double] = []
        scalars.reserveCapacity(rows * columns)
        for row in 0..<rows {
            for part in parts {
                scalars.append(contentsOf: part.scalars[(row * part.columns)..<((row + 1) * part.columns)])
            }
        }
        self.init(rows: rows, columns: columns, scalars: scalars)
    }

    /// The matrices one below the other, as when joining sub-batches.
    ///
    /// - Precondition: `parts` is non-empty and every part has the same number of columns.
    public init(concatenatingRows parts: [Matrix]) {
        precondition(!parts.isEmpty, "Nothing to concatenate")
        let columns = parts[0].columns
        precondition(parts.allSatisfy { $0.columns == columns }, "Stacked matrices differ in column count")
        self.init(rows: parts.reduce(0) { $0 + $1.rows }, columns: columns, scalars: parts.flatMap(\.scalars))
    }

    /// The block of columns `range` (the inverse of ``init(concatenatingColumns:)``, to split a gradient).
    ///
    /// - Precondition: `range` lies within `0..<columns`.
    public func columns(_ range: Range<Int>) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= columns, "Column range \(range) out of bounds")
        var scalars: [Double] = []
        scalars.reserveCapacity(rows * range.count)
        for row in 0..<rows {
            scalars.append(
                contentsOf: self.scalars[(row * columns + range.lowerBound)..<(row * columns + range.upperBound)])
        }
        return Matrix(rows: rows, columns: range.count, scalars: scalars)
    }

    /// The block of rows `range`.
    ///
    /// - Precondition: `range` lies within `0..<rows`.
    public func rows(_ range: Range<Int>) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "Row range \(range) out of bounds")
        return Matrix(
            rows: range.count, columns: columns,
            scalars: Array(scalars[(range.lowerBound * columns)..<(range.upperBound * columns)]))
    }
}
