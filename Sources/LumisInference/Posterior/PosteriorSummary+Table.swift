import Glibc

extension PosteriorSummary {
    /// The text `lumis summary` prints: header lines, then an aligned table of every variable with columns
    /// name, mean, stddev, 5%, 50% and 95% (a `-` where a level was not recorded).
    ///
    /// Named variables come first (sorted), then unnamed samples by `address__instance`, then `(result)`.
    /// Tensor variables get one row per element, labelled with its index (`x[1,2]`), up to
    /// `maxElementsPerVariable` rows followed by a note. Numbers use 6 significant digits.
    /// - Precondition: `maxElementsPerVariable > 0`.
    public func renderTable(maxElementsPerVariable: Int = 10) -> String {
        precondition(maxElementsPerVariable > 0, "Need at least one row per variable")
        var lines: [String] = []
        lines.append("model: \(metadata.model)")
        lines.append(
            "engine: \(metadata.engine)  seed: \(metadata.seed.map(String.init) ?? "none")  "
                + "weighting: \(weighting.rawValue)")
        lines.append(
            "traces: \(traceCount)  NaN weights: \(nanWeightCount)  failed: \(metadata.failedTraces)  "
                + "restarts: \(metadata.restarts)")
        if chains != nil {
            lines.append("ESS: per variable (ess_bulk, ess_tail) for Markov chains")
        } else {
            lines.append("ESS: \(effectiveSampleSize.map { format($0, digits: 8) } ?? "undefined")")
        }
        lines.append("log evidence: \(logEvidence.map { format($0, digits: 8) } ?? "not estimated")")
        if let ic {
            lines.append(
                "network proposals: \(ic.controlledDraws - ic.priorFallbackDraws) of \(ic.controlledDraws) "
                    + "controlled draws; \(ic.priorFallbackDraws) from the prior at \(ic.priorFallbacks.count) addresses"
            )
        }
        lines.append("")

        let allStatistics = Array(variables.values) + Array(addresses.values) + (result.map { [$0] } ?? [])
        let hasDiagnostics = allStatistics.contains { $0.diagnostics != nil }
        var rows: [[String]] = [["name", "mean", "stddev", "5%", "50%", "95%"]]
        if hasDiagnostics { rows[0] += ["r_hat", "ess_bulk", "ess_tail", "mcse_mean"] }
        var notes: [String] = []
        func addRows(_ name: String, _ statistics: VariableStatistics) {
            let elementCount = statistics.mean.count
            let shown = min(elementCount, maxElementsPerVariable)
            for element in 0..<shown {
                let label =
                    statistics.shape.isEmpty ? name : name + DrawTable.elementLabel(element, shape: statistics.shape)
                var row = [label, format(statistics.mean[element]), format(statistics.stddev[element])]
                for level in [0.05, 0.5, 0.95] {
                    row.append(statistics.quantiles[level].map { format($0[element]) } ?? "-")
                }
                if hasDiagnostics {
                    if let diagnostics = statistics.diagnostics {
                        row += [
                            format(diagnostics.rHat[element], digits: 4),
                            format(diagnostics.essBulk[element], digits: 4),
                            format(diagnostics.essTail[element], digits: 4),
                            format(diagnostics.mcseMean[element], digits: 3),
                        ]
                    } else {
                        row += ["-", "-", "-", "-"]
                    }
                }
                rows.append(row)
            }
            if shown < elementCount {
                notes.append("\(name): \(elementCount - shown) more elements of shape \(statistics.shape) not shown")
            }
            if statistics.missingCount > 0 || statistics.shapeMismatchCount > 0 {
                var note = "\(name): from \(statistics.count) traces"
                if statistics.missingCount > 0 { note += "; \(statistics.missingCount) traces lack it" }
                if statistics.shapeMismatchCount > 0 {
                    note += "; \(statistics.shapeMismatchCount) traces with another shape left out"
                }
                notes.append(note)
            }
        }
        let byBytes: (String, String) -> Bool = { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for name in variables.keys.sorted(by: byBytes) { addRows(name, variables[name]!) }  // key from the dict
        for key in addresses.keys.sorted(by: byBytes) { addRows(key, addresses[key]!) }  // key from the dict
        if let result { addRows("(result)", result) }

        if rows.count == 1 {
            lines.append("no variables with defined statistics")
        } else {
            var widths = [Int](repeating: 0, count: rows[0].count)
            for row in rows {
                for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
            }
            for row in rows {
                var line = ""
                for (column, cell) in row.enumerated() {
                    let padding = String(repeating: " ", count: widths[column] - cell.count)
                    line += column == 0 ? cell + padding : "  " + padding + cell
                }
                lines.append(line)
            }
        }
        if let chains {
            lines.append("")
            for (index, chain) in chains.enumerated() {
                let statistics = chain.statistics
                var line =
                    "chain \(index): \(chain.draws) draws, acceptance "
                    + (statistics.acceptanceRate.map { format($0, digits: 3) } ?? "-")
                    + ", reuse " + (statistics.reuseRate.map { format($0, digits: 3) } ?? "-")
                if statistics.restarts > 0 { line += ", \(statistics.restarts) restarts" }
                let sites = statistics.proposalsByAddress.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                if !sites.isEmpty {
                    line +=
                        "; by address: "
                        + sites.map { address in
                            "\(address) "
                                + (statistics.acceptanceRate(at: address).map { format($0, digits: 3) } ?? "-")
                        }.joined(separator: ", ")
                }
                lines.append(line)
            }
        }
        if !undefinedVariables.isEmpty {
            notes.append(
                "undefined (no trace holding them has positive weight): "
                    + undefinedVariables.joined(separator: ", "))
        }
        if !notes.isEmpty {
            lines.append("")
            lines.append(contentsOf: notes)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// `value` with `digits` significant digits (C's `%.*g`).
private func format(_ value: Double, digits: Int = 6) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    _ = withVaList([Int32(digits), value]) { arguments in
        buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, "%.*g", arguments) }
    }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
