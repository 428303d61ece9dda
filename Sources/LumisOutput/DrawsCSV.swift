import Glibc
public import LumisInference
public import LumisStorage

/// The CSV file of draws: one row per draw, columns `chain`, `draw`, `weight`, `log_weight`, then one per variable
/// element.
///
/// Variable columns are labelled as ``DrawTable`` labels them, tensor elements as `name[i,j]` (row-major).
/// Numbers are Swift's shortest round-trip form; NaN, ±∞ are `nan`, `inf`, `-inf`; a draw lacking the
/// variable (NaN in every element) has empty cells. Fields are quoted (RFC 4180) when they hold a comma, quote or line break.
/// `chain` and `draw` count from 0; `weight` is the draw's normalised weight (summing to 1 over the file), and
/// `log_weight` its log weight as the engine stored it (unnormalised; it keeps weights that underflow to 0 in
/// `weight`). Files written before `log_weight` existed still read.
public enum DrawsCSV {
    /// The file's text for `table`.
    public static func text(of table: DrawTable) -> String {
        var header = ["chain", "draw", "weight", "log_weight"]
        for column in table.columns {
            if column.shape.isEmpty {
                header.append(column.label)
            } else {
                for element in 0..<column.elementCount {
                    header.append(column.label + DrawTable.elementLabel(element, shape: column.shape))
                }
            }
        }
        var output = header.map(quoted).joined(separator: ",") + "\n"
        var row = 0
        for (chain, length) in table.chainLengths.enumerated() {
            for draw in 0..<length {
                output += "\(chain),\(draw),\(number(table.weights[row])),\(number(table.logWeights[row]))"
                for column in table.columns {
                    // A draw lacking the variable holds NaN in every element: written as empty cells.
                    let isMissing = isMissing(column, row: row)
                    for element in 0..<column.elementCount {
                        output += ","
                        if !isMissing { output += number(column.values[row * column.elementCount + element]) }
                    }
                }
                output += "\n"
                row += 1
            }
        }
        return output
    }

    /// Writes the file atomically.
    ///
    /// - Throws: `StorageError` naming `path` and the failing step.
    public static func write(_ table: DrawTable, toFile path: String) throws(StorageError) {
        try writeAtomically(Array(text(of: table).utf8), toFile: path)
    }

    /// A draws file read back: per column its label and values (NaN for empty cells), per row its chain and
    /// weights.
    public struct Contents: Sendable, Equatable {
        /// The variable columns' labels (after `chain`, `draw`, `weight`, `log_weight`).
        public var labels: [String]
        /// Each row's chain.
        public var chains: [Int]
        /// Each row's weight.
        public var weights: [Double]
        /// Each row's log weight; empty for a file written without the column.
        public var logWeights: [Double]
        /// Per variable column, the value of each row.
        public var columns: [[Double]]

        /// The values of column `column` of every chain, with their weights, chains in ascending order.
        public func series(ofColumn column: Int) -> (values: [[Double]], weights: [[Double]]) {
            let ids = Array(Set(chains)).sorted()
            var values = [[Double]](repeating: [], count: ids.count)
            var chainWeights = values
            let position = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
            for row in chains.indices {
                let index = position[chains[row]]!  // every row's chain is in `ids`
                values[index].append(columns[column][row])
                chainWeights[index].append(weights[row])
            }
            return (values, chainWeights)
        }
    }

    /// Reads a draws file written by ``write(_:toFile:)``.
    ///
    /// - Throws: ``PosteriorFileError`` naming the file and the line and column of a malformed cell.
    public static func read(contentsOfFile path: String) throws(PosteriorFileError) -> Contents {
        guard let handle = fopen(path, "r") else {
            throw PosteriorFileError(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, handle) }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        if ferror(handle) != 0 { throw PosteriorFileError(path: path, reason: "cannot read") }
        return try parse(String(decoding: bytes, as: UTF8.self), path: path)
    }

    /// Parses a draws file's text.
    ///
    /// - Throws: ``PosteriorFileError`` naming `path` and the line and column of a malformed cell.
    public static func parse(_ text: String, path: String) throws(PosteriorFileError) -> Contents {
        let rows = records(text)
        guard let header = rows.first, header.count >= 3, Array(header.prefix(3)) == ["chain", "draw", "weight"]
        else {
            throw PosteriorFileError(path: path, reason: "not a draws file (header must start chain,draw,weight)")
        }
        let hasLogWeights = header.count >= 4 && header[3] == "log_weight"
        let firstVariable = hasLogWeights ? 4 : 3
        var contents = Contents(
            labels: Array(header.dropFirst(firstVariable)), chains: [], weights: [], logWeights: [],
            columns: [[Double]](repeating: [], count: header.count - firstVariable))
        for (index, row) in rows.enumerated().dropFirst() {
            let line = index + 1
            guard row.count == header.count else {
                throw PosteriorFileError(
                    path: path, reason: "line \(line): \(row.count) fields, header has \(header.count)")
            }
            guard let chain = Int(row[0]), chain >= 0 else {
                throw PosteriorFileError(path: path, reason: "line \(line): chain '\(row[0])' is not a count")
            }
            contents.chains.append(chain)
            for field in 2..<row.count {
                let cell = row[field]
                let value: Double
                switch cell {
                case "": value = .nan
                case "nan": value = .nan
                case "inf": value = .infinity
                case "-inf": value = -.infinity
                default:
                    guard let number = Double(cell) else {
                        throw PosteriorFileError(
                            path: path, reason: "line \(line), column '\(header[field])': '\(cell)' is not a number")
                    }
                    value = number
                }
                if field == 2 {
                    contents.weights.append(value)
                } else if field < firstVariable {
                    contents.logWeights.append(value)
                } else {
                    contents.columns[field - firstVariable].append(value)
                }
            }
        }
        return contents
    }

    // MARK: Helpers

    private static func isMissing(_ column: DrawTable.Column, row: Int) -> Bool {
        let start = row * column.elementCount
        return column.values[start..<start + column.elementCount].allSatisfy(\.isNaN)
    }

    static func number(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return value.description
    }

    private static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingAll("\"", with: "\"\"") + "\""
    }

    /// Splits CSV text into records of fields (RFC 4180 quoting; a final newline ends the last record).
    private static func records(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var inQuotes = false
        var atFieldStart = true
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        while let scalar = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if scalar == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = next }
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where atFieldStart:
                inQuotes = true
                atFieldStart = false
            case ",":
                record.append(field)
                field = ""
                atFieldStart = true
            case "\n":
                record.append(field)
                records.append(record)
                record = []
                field = ""
                atFieldStart = true
            case "\r":
                continue
            default:
                field.unicodeScalars.append(scalar)
                atFieldStart = false
            }
        }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        return records
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self { if character == target { result += replacement } else { result.append(character) } }
        return result
    }
}
