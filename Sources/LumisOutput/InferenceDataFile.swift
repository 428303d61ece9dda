import Glibc
public import LumisInference
import LumisStorage
public import LumisTensor

/// Writes ArviZ InferenceData files: NetCDF-4 with groups `posterior`, `sample_stats` and `observed_data`
/// (plus `weighted_posterior` and `weighted_sample_stats` for weighted runs), read by `arviz.from_netcdf` (and by
/// xarray per group).
///
/// ArviZ treats every draw of `posterior` as equally weighted. A weighted run's `posterior` therefore holds
/// draws resampled from the weighted set, and the weighted draws themselves, with their log weights, go to
/// the `weighted_*` groups. The layout is in `docs/posterior-format.md`.
public enum InferenceDataFile {
    /// A file-level attribute value.
    public enum AttributeValue: Sendable, Equatable {
        /// Text.
        case text(String)
        /// A signed integer.
        case integer(Int64)
        /// An unsigned integer (seeds use all 64 bits).
        case unsigned(UInt64)
        /// A number.
        case real(Double)
    }

    /// Everything one file holds.
    public struct Contents: Sendable {
        /// Every draw as the engine produced it.
        public var table: DrawTable
        /// For a weighted run, the rows of `table` an equally weighted resample drew (the `posterior` group,
        /// one chain); `nil` when `table`'s draws are already equally weighted.
        public var resampledRows: [Int]?
        /// One record per chain for MCMC runs (to `sample_stats`), `nil` otherwise.
        public var chainStatistics: [ChainStatistics]?
        /// Per chain, the log joint density of each draw (to `sample_stats.lp`), `nil` when not known.
        public var logJoints: [[Double]]?
        /// The observed values, by observe name (to `observed_data`).
        public var observations: [String: Tensor]
        /// Attributes of the root group and of `posterior` (engine, model, seed, …), in order.
        public var attributes: [(name: String, value: AttributeValue)]

        /// Creates the contents of a file.
        ///
        /// - Precondition: `resampledRows` index `table`'s rows; `chainStatistics` and `logJoints` have one entry
        ///   per chain of `table`, `logJoints` one value per draw.
        public init(
            table: DrawTable, resampledRows: [Int]? = nil, chainStatistics: [ChainStatistics]? = nil,
            logJoints: [[Double]]? = nil, observations: [String: Tensor] = [:],
            attributes: [(name: String, value: AttributeValue)] = []
        ) {
            precondition(resampledRows?.allSatisfy { $0 >= 0 && $0 < table.drawCount } ?? true, "Row out of range")
            precondition(chainStatistics.map { $0.count == table.chainLengths.count } ?? true, "One record per chain")
            precondition(logJoints.map { $0.map(\.count) == table.chainLengths } ?? true, "One lp per draw")
            self.table = table
            self.resampledRows = resampledRows
            self.chainStatistics = chainStatistics
            self.logJoints = logJoints
            self.observations = observations
            self.attributes = attributes
        }
    }

    /// Writes `contents` atomically (a temporary sibling file, flushed, renamed over `path`).
    ///
    /// - Throws: ``NetCDFError`` with the failing libnetcdf operation, or `StorageError` when the
    ///   directory does not take the file; no temporary file is left behind.
    public static func write(_ contents: Contents, toFile path: String) throws {
        let file = try StagedFile(path: path)
        try write(contents, to: file)
        try file.commit()
    }

    /// Fills `file`'s temporary and flushes it to disk; the caller commits it.
    ///
    /// - Throws: as ``write(_:toFile:)``; the temporary is removed.
    static func write(_ contents: Contents, to file: StagedFile) throws {
        do {
            let netCDF = try NetCDFFile(creating: file.temporaryPath)
            try fill(netCDF, contents)
            try netCDF.close()
        } catch {
            file.discard()
            throw error
        }
        try file.synchronize()
    }

    private static func fill(_ file: borrowing NetCDFFile, _ contents: Contents) throws(NetCDFError) {
        let table = contents.table
        var attributes: [(name: String, value: AttributeValue)] = [
            ("inference_library", .text("lumis")), ("inference_library_version", .text(LumisVersion.current)),
            ("created_at", .text(Self.timestamp())),
        ]
        attributes += contents.attributes
        if contents.resampledRows != nil {
            attributes.append(("posterior_draws", .text("systematic resample of weighted_posterior")))
        }
        for (name, value) in attributes { try file.putAttribute(name, value, in: file.root) }

        /// Defines group `name` with its `chain` and `draw` coordinates; draw *d* of chain *c* is row
        /// `chains[c][d]` of `table`.
        func drawsGroup(
            _ name: String, chains: [[Int]], attributes: [(name: String, value: AttributeValue)]
        ) throws(NetCDFError) -> DrawsGroup {
            let group = try file.defineGroup(name, in: file.root)
            try file.putAttribute("inference_library", .text("lumis"), in: group)
            for (name, value) in attributes { try file.putAttribute(name, value, in: group) }
            let drawCount = chains.map(\.count).max() ?? 0
            let chain = try file.defineDimension("chain", length: chains.count, in: group)
            let draw = try file.defineDimension("draw", length: drawCount, in: group)
            let chainVariable = try file.defineVariable("chain", type: .int64, dimensions: [chain], in: group)
            try file.put((0..<chains.count).map(Int64.init), variable: chainVariable, in: group, name: "chain")
            let drawVariable = try file.defineVariable("draw", type: .int64, dimensions: [draw], in: group)
            try file.put((0..<drawCount).map(Int64.init), variable: drawVariable, in: group, name: "draw")
            return DrawsGroup(
                name: name, group: group, chains: chains, drawCount: drawCount, chainDimension: chain,
                drawDimension: draw)
        }
        /// One chain × draw variable of `group` from a per-row value.
        func put(_ variable: String, in group: DrawsGroup, rowValue: (Int) -> Double) throws(NetCDFError) {
            let id = try file.defineVariable(
                variable, type: .double, dimensions: [group.chainDimension, group.drawDimension], in: group.group)
            try file.put(
                group.layout(elementCount: 1) { row, _ in rowValue(row) }, variable: id, in: group.group,
                name: "\(group.name)/\(variable)")
        }
        /// One variable per column of `table`, in `group`.
        func putColumns(in group: DrawsGroup) throws(NetCDFError) {
            var names = NetCDFNames(reserved: ["chain", "draw"])
            for column in table.columns {
                let name = names.unique(column.selector == .result ? "result" : column.label)
                var dimensions = [group.chainDimension, group.drawDimension]
                for (axis, length) in column.shape.enumerated() {
                    dimensions.append(
                        try file.defineDimension("\(name)_dim_\(axis)", length: length, in: group.group))
                }
                let variable = try file.defineVariable(name, type: .double, dimensions: dimensions, in: group.group)
                try file.putAttribute("lumis_label", .text(column.label), variable: variable, in: group.group)
                let values = group.layout(elementCount: column.elementCount) { row, element in
                    column.values[row * column.elementCount + element]
                }
                try file.put(values, variable: variable, in: group.group, name: "\(group.name)/\(name)")
            }
        }

        var rawChains: [[Int]] = []
        var row = 0
        for length in table.chainLengths {
            rawChains.append(Array(row..<row + length))
            row += length
        }
        if let resampled = contents.resampledRows {
            try putColumns(in: try drawsGroup("posterior", chains: [resampled], attributes: attributes))
            let stats = try drawsGroup("sample_stats", chains: [resampled], attributes: [])
            try put("log_weight", in: stats) { table.logWeights[$0] }
            let index = try file.defineVariable(
                "weighted_draw", type: .int64, dimensions: [stats.chainDimension, stats.drawDimension],
                in: stats.group)
            try file.put(
                resampled.map(Int64.init), variable: index, in: stats.group, name: "sample_stats/weighted_draw")
            try putColumns(in: try drawsGroup("weighted_posterior", chains: rawChains, attributes: attributes))
            let weightedStats = try drawsGroup("weighted_sample_stats", chains: rawChains, attributes: [])
            try put("log_weight", in: weightedStats) { table.logWeights[$0] }
            try put("weight", in: weightedStats) { table.weights[$0] }
        } else {
            try putColumns(in: try drawsGroup("posterior", chains: rawChains, attributes: attributes))
            let stats = try drawsGroup("sample_stats", chains: rawChains, attributes: [])
            try put("log_weight", in: stats) { table.logWeights[$0] }
            if let logJoints = contents.logJoints?.flatMap({ $0 }) {
                try put("lp", in: stats) { logJoints[$0] }
            }
            if let chainStatistics = contents.chainStatistics {
                let counters: [(String, (ChainStatistics) -> Int)] = [
                    ("proposals", \.proposals), ("accepted_proposals", \.accepted),
                    ("reused_samples", \.reusedSamples), ("controlled_samples", \.controlledSamples),
                    ("restarts", \.restarts), ("discarded_proposals", \.discardedProposals),
                ]
                for (name, counter) in counters {
                    let variable = try file.defineVariable(
                        name, type: .int64, dimensions: [stats.chainDimension], in: stats.group)
                    try file.put(
                        chainStatistics.map { Int64(counter($0)) }, variable: variable, in: stats.group,
                        name: "sample_stats/\(name)")
                }
                let rates: [(String, (ChainStatistics) -> Double?)] = [
                    ("acceptance_rate", \.acceptanceRate), ("reuse_rate", \.reuseRate),
                ]
                for (name, rate) in rates {
                    let variable = try file.defineVariable(
                        name, type: .double, dimensions: [stats.chainDimension], in: stats.group)
                    try file.put(
                        chainStatistics.map { rate($0) ?? .nan }, variable: variable, in: stats.group,
                        name: "sample_stats/\(name)")
                }
            }
        }

        let observed = try file.defineGroup("observed_data", in: file.root)
        try file.putAttribute("inference_library", .text("lumis"), in: observed)
        var observedNames = NetCDFNames(reserved: [])
        let observations = contents.observations
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
            try file.putAttribute("lumis_label", .text(label), variable: variable, in: observed)
            try file.put(Array(value.scalars), variable: variable, in: observed, name: "observed_data/\(name)")
        }
    }

    /// The current UTC time in ISO 8601, as ArviZ writes `created_at`.
    static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A group of chain × draw variables whose draw *d* of chain *c* is row `chains[c][d]` of a ``DrawTable``.
private struct DrawsGroup {
    let name: String
    let group: Int32
    let chains: [[Int]]
    let drawCount: Int
    let chainDimension: Int32
    let drawDimension: Int32

    /// `perRow(row, element)` laid out chain × draw × element, NaN past a chain's end.
    func layout(elementCount: Int, _ perRow: (Int, Int) -> Double) -> [Double] {
        var values = [Double](repeating: .nan, count: chains.count * drawCount * elementCount)
        for (chain, rows) in chains.enumerated() {
            for (draw, row) in rows.enumerated() {
                let target = (chain * drawCount + draw) * elementCount
                for element in 0..<elementCount { values[target + element] = perRow(row, element) }
            }
        }
        return values
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
