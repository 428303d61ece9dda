import Glibc

extension PosteriorSummary {
    /// The text `lumis summary` prints: header lines, then an aligned table of every variable with columns
    /// name, mean, stddev, 5%, 50% and 95% (a `-` where a level was not recorded).
    ///
    /// Named variables come first, then unnamed samples by `address__instance`, then `(result)`, each group in
    /// natural order (`x2` before `x10`, see ``naturallyPrecedes(_:_:)``).
    /// Tensor variables get one row per element, labelled with its index (`x[1,2]`), up to
    /// `maxElementsPerVariable` rows followed by a note. Numbers use 6 significant digits.
    /// - Parameters:
    ///   - maxElementsPerVariable: the most rows one tensor variable gets.
    ///   - selection: the names (as in ``variableNames``) of the rows to print, in table order; `nil` for all.
    /// - Precondition: `maxElementsPerVariable > 0`, and every selected name is one of ``variableNames``.
    public func renderTable(maxElementsPerVariable: Int = 10, selecting selection: Set<String>? = nil) -> String {
        precondition(maxElementsPerVariable > 0, "Need at least one row per variable")
        precondition(selection.map { $0.isSubset(of: variableNames) } ?? true, "Selected an unknown variable")
        var lines: [String] = []
        if let warning = incompleteWarning { lines.append(warning) }
        lines.append("model: \(metadata.model)")
        lines.append(
            "engine: \(metadata.engine)  seed: \(metadata.seed.map(String.init) ?? "none")  "
                + "weighting: \(weighting.rawValue)")
        lines.append(
            "traces: \(traceCount)  NaN weights: \(nanWeightCount)  failed: \(metadata.failedTraces)  "
                + "restarts: \(metadata.restarts)")
        if !metadata.unusedObservations.isEmpty {
            lines.append(
                "unused observations (no trace observed them): \(metadata.unusedObservations.joined(separator: ", "))")
        }
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
        if let guide = mcmc?.guide {
            lines.append(
                "network moves: probability \(format(guide.moveProbability, digits: 6)) from \(guide.network.description)"
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
        for name in variableNames where selection?.contains(name) ?? true {
            // Every name comes from one of the three sources.
            addRows(name, variables[name] ?? addresses[name] ?? result!)
        }

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

    /// A line saying that the run stopped before its end (an interrupted or failed MCMC run), `nil` for a
    /// complete run.
    public var incompleteWarning: String? {
        guard let mcmc, !mcmc.isComplete else { return nil }
        return "INCOMPLETE: the chains stopped before their last step (\(mcmc.note ?? "no reason recorded"));"
            + " resume with --resume"
    }

    /// Every variable's table name in table order: named variables, then `address__instance` keys, then
    /// `(result)`, each group in natural order.
    public var variableNames: [String] {
        variables.keys.sorted(by: Self.naturallyPrecedes) + addresses.keys.sorted(by: Self.naturallyPrecedes)
            + (result == nil ? [] : ["(result)"])
    }

    /// Natural order: runs of digits compare by value (`x2` < `x10`), everything else byte by byte; ties
    /// (`x01` and `x1`) fall back to byte order, so the order is total.
    public static func naturallyPrecedes(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8), b = Array(rhs.utf8)
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if isDigit(a[i]) && isDigit(b[j]) {
                var endA = i, endB = j
                while endA < a.count && isDigit(a[endA]) { endA += 1 }
                while endB < b.count && isDigit(b[endB]) { endB += 1 }
                // Compare the runs as numbers without overflow: drop leading zeros, then longer is larger.
                let digitsA = a[i..<endA].drop { $0 == UInt8(ascii: "0") }
                let digitsB = b[j..<endB].drop { $0 == UInt8(ascii: "0") }
                if digitsA.count != digitsB.count { return digitsA.count < digitsB.count }
                if !digitsA.elementsEqual(digitsB) { return digitsA.lexicographicallyPrecedes(digitsB) }
                i = endA
                j = endB
            } else {
                if a[i] != b[j] { return a[i] < b[j] }
                i += 1
                j += 1
            }
        }
        if (a.count - i) != (b.count - j) { return a.count - i < b.count - j }
        return a.lexicographicallyPrecedes(b)
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
