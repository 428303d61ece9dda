import Glibc
public import LumisInference
public import LumisTensor

/// Writes ArviZ InferenceData files: NetCDF-4 with groups `posterior`, `sample_stats` and `observed_data`,
/// read by `arviz.from_netcdf` (and by xarray per group).
///
/// The layout is in `docs/posterior-format.md`.
public enum InferenceDataFile {
    /// Writes `table`'s draws atomically (a temporary sibling file renamed over `path`).
    ///
    /// - Parameters:
    ///   - table: the draws; a chain shorter than the longest is padded with NaN.
    ///   - chainStatistics: one record per chain for MCMC runs (to `sample_stats`), `nil` otherwise.
    ///   - observations: the observed values, by observe name (to `observed_data`).
    ///   - isWeighted: whether the draws carry importance weights (then `sample_stats.weight` is written).
    ///   - path: the output file.
    /// - Throws: ``NetCDFError`` with the failing libnetcdf operation; no temporary file is left behind.
    public static func write(
        _ table: DrawTable, chainStatistics: [ChainStatistics]?, observations: [String: Tensor], isWeighted: Bool,
        toFile path: String
    ) throws(NetCDFError) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = "\(directory)/.\(base).tmp-\(getpid())"
        do {
            let file = try NetCDFFile(creating: temporary)
            try fill(file, table, chainStatistics, observations, isWeighted)
            try file.close()
        } catch {
            unlink(temporary)
            throw error
        }
        if rename(temporary, path) != 0 {
            let code = errno
            unlink(temporary)
            throw NetCDFError(
                code: 0, operation: "rename \(temporary) to \(path)", message: String(cString: strerror(code)))
        }
    }

    private static func fill(
        _ file: borrowing NetCDFFile, _ table: DrawTable, _ chainStatistics: [ChainStatistics]?,
        _ observations: [String: Tensor], _ isWeighted: Bool
    ) throws(NetCDFError) {
        try file.putAttribute("inference_library", text: "lumis", in: file.root)
        let chainCount = table.chainLengths.count
        let drawCount = table.chainLengths.max() ?? 0

        /// Defines `chain` and `draw` with their coordinate variables in `group`.
        func chainDrawDimensions(_ group: Int32) throws(NetCDFError) -> (Int32, Int32) {
            let chain = try file.defineDimension("chain", length: chainCount, in: group)
            let draw = try file.defineDimension("draw", length: drawCount, in: group)
            let chainVariable = try file.defineVariable("chain", type: .int64, dimensions: [chain], in: group)
            try file.put((0..<chainCount).map(Int64.init), variable: chainVariable, in: group, name: "chain")
            let drawVariable = try file.defineVariable("draw", type: .int64, dimensions: [draw], in: group)
            try file.put((0..<drawCount).map(Int64.init), variable: drawVariable, in: group, name: "draw")
            return (chain, draw)
        }
        /// `perDraw(row)` laid out chain × draw, NaN past a chain's end.
        func chainByDraw(elementCount: Int, _ perDraw: (Int, Int) -> Double) -> [Double] {
            var values = [Double](repeating: .nan, count: chainCount * drawCount * elementCount)
            var row = 0
            for (chain, length) in table.chainLengths.enumerated() {
                for draw in 0..<length {
                    let target = (chain * drawCount + draw) * elementCount
                    for element in 0..<elementCount { values[target + element] = perDraw(row, element) }
                    row += 1
                }
            }
            return values
        }

        let posterior = try file.defineGroup("posterior", in: file.root)
        try file.putAttribute("inference_library", text: "lumis", in: posterior)
        let (chain, draw) = try chainDrawDimensions(posterior)
        var names = NetCDFNames(reserved: ["chain", "draw"])
        for column in table.columns {
            let name = names.unique(column.selector == .result ? "result" : column.label)
            var dimensions = [chain, draw]
            for (axis, length) in column.shape.enumerated() {
                dimensions.append(try file.defineDimension("\(name)_dim_\(axis)", length: length, in: posterior))
            }
            let variable = try file.defineVariable(name, type: .double, dimensions: dimensions, in: posterior)
            try file.putAttribute("lumis_label", text: column.label, variable: variable, in: posterior)
            let values = chainByDraw(elementCount: column.elementCount) { row, element in
                column.values[row * column.elementCount + element]
            }
            try file.put(values, variable: variable, in: posterior, name: "posterior/\(name)")
        }

        let stats = try file.defineGroup("sample_stats", in: file.root)
        try file.putAttribute("inference_library", text: "lumis", in: stats)
        let (statsChain, statsDraw) = try chainDrawDimensions(stats)
        let logWeight = try file.defineVariable(
            "log_weight", type: .double, dimensions: [statsChain, statsDraw], in: stats)
        try file.put(
            chainByDraw(elementCount: 1) { row, _ in table.logWeights[row] }, variable: logWeight, in: stats,
            name: "sample_stats/log_weight")
        if isWeighted {
            let weight = try file.defineVariable(
                "weight", type: .double, dimensions: [statsChain, statsDraw], in: stats)
            try file.put(
                chainByDraw(elementCount: 1) { row, _ in table.weights[row] }, variable: weight, in: stats,
                name: "sample_stats/weight")
        }
        if let chainStatistics {
            precondition(chainStatistics.count == chainCount, "One statistics record per chain")
            let counters: [(String, (ChainStatistics) -> Int)] = [
                ("proposals", \.proposals), ("accepted_proposals", \.accepted), ("reused_samples", \.reusedSamples),
                ("controlled_samples", \.controlledSamples), ("restarts", \.restarts),
                ("discarded_proposals", \.discardedProposals),
            ]
            for (name, counter) in counters {
                let variable = try file.defineVariable(name, type: .int64, dimensions: [statsChain], in: stats)
                try file.put(
                    chainStatistics.map { Int64(counter($0)) }, variable: variable, in: stats,
                    name: "sample_stats/\(name)")
            }
            let rates: [(String, (ChainStatistics) -> Double?)] = [
                ("acceptance_rate", \.acceptanceRate), ("reuse_rate", \.reuseRate),
            ]
            for (name, rate) in rates {
                let variable = try file.defineVariable(name, type: .double, dimensions: [statsChain], in: stats)
                try file.put(
                    chainStatistics.map { rate($0) ?? .nan }, variable: variable, in: stats,
                    name: "sample_stats/\(name)")
            }
        }

        let observed = try file.defineGroup("observed_data", in: file.root)
        try file.putAttribute("inference_library", text: "lumis", in: observed)
        var observedNames = NetCDFNames(reserved: [])
        for label in observations.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            let value = observations[label]!  // key from the dictionary
            let name = observedNames.unique(label)
            // ArviZ stores observations at least one-dimensional.
            let shape = value.shape.isEmpty ? [1] : value.shape
            var dimensions: [Int32] = []
            for (axis, length) in shape.enumerated() {
                dimensions.append(try file.defineDimension("\(name)_dim_\(axis)", length: length, in: observed))
            }
            let variable = try file.defineVariable(name, type: .double, dimensions: dimensions, in: observed)
            try file.putAttribute("lumis_label", text: label, variable: variable, in: observed)
            try file.put(Array(value.scalars), variable: variable, in: observed, name: "observed_data/\(name)")
        }
    }
}

/// Turns labels into distinct valid NetCDF names: `/` and control characters become `_`, a name must start
/// with a letter, digit or non-ASCII character (else `v_` is prefixed), and repeats get `_2`, `_3`, ….
struct NetCDFNames {
    private var used: Set<String>

    init(reserved: Set<String>) { used = reserved }

    mutating func unique(_ label: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in label.unicodeScalars {
            scalars.append(scalar == "/" || scalar.value < 0x20 || scalar.value == 0x7F ? "_" : scalar)
        }
        var name = String(scalars)
        while name.hasSuffix(" ") { name.removeLast() }
        if let first = name.unicodeScalars.first, first.isASCII,
            !(first.properties.isAlphabetic || ("0"..."9").contains(first))
        {
            name = "v_" + name
        }
        if name.isEmpty { name = "v" }
        var candidate = name
        var suffix = 2
        while used.contains(candidate) {
            candidate = "\(name)_\(suffix)"
            suffix += 1
        }
        used.insert(candidate)
        return candidate
    }
}
