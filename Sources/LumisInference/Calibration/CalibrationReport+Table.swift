extension CalibrationReport {
    /// The text `lumis summary` prints for a calibration file: the run, a verdict, then one row per scalar latent
    /// (events, 50% and 90% coverage with their binomial 4-sigma bands, KS p-value, mean probability of the true
    /// class for Categorical draws, and what is flagged), in natural order.
    public func renderTable() -> String {
        let flagged = variables.values.count { !$0.flags.isEmpty }
        var lines: [String] = []
        if let requestedEvents {
            lines.append(
                "INCOMPLETE: the run was interrupted after \(events) of \(requestedEvents) events (continue it "
                    + "with lumis calibrate --resume FILE and the same options)")
        }
        lines += [
            "model: \(model)",
            "engine: \(engine)  seed: \(seed)  events: \(events)  traces per event: \(tracesPerEvent)  "
                + "median ESS: \(Variable.format(medianEffectiveSampleSize, digits: 4))",
        ]
        if let settings = settings.description { lines.append(settings) }
        lines += [
            flagged == 0
                ? "calibration: no latent flagged (coverage within its 4-sigma band, KS p >= \(Self.ksThreshold))"
                : "calibration: MISCALIBRATED: \(flagged) of \(variables.count) latents flagged",
            "",
        ]
        var rows = [["name", "events", "cov50", "band50", "cov90", "band90", "ks_p", "p(true)", "flags"]]
        for label in labels {
            guard let variable = variables[label] else { continue }
            var row = [label, "\(variable.events)"]
            for level in Self.levels {
                let band = variable.coverageBand(level: level)
                row.append(Variable.format(variable.coverage(level: level)))
                row.append("[\(Variable.format(band.lowerBound)), \(Variable.format(band.upperBound))]")
            }
            row.append(variable.ksPValue.map { Variable.format($0) } ?? "-")
            row.append(variable.meanTrueClassProbability.map { Variable.format($0) } ?? "-")
            var flags = variable.flags.isEmpty ? "" : "MISCALIBRATED: " + variable.flags.joined(separator: "; ")
            if variable.undefinedEvents > 0 {
                flags += (flags.isEmpty ? "" : "; ") + "\(variable.undefinedEvents) events without posterior values"
            }
            row.append(flags)
            rows.append(row)
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            var line = ""
            for (column, cell) in row.enumerated() {
                let isLast = column == row.count - 1
                line += isLast ? cell : cell + String(repeating: " ", count: widths[column] - cell.count + 2)
            }
            while line.hasSuffix(" ") { line.removeLast() }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
