import ArgumentParser
import Foundation
import LumisInference
import LumisOutput

extension LumisCommand {
    struct Plot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw SVG plots of every variable of a run, with an index.html showing them all.",
            discussion: """
                For a calibration file (lumis calibrate), draws a rank (PIT) histogram per latent with the band \
                a calibrated engine's counts fall in (docs/calibration.md).

                The draws come from the CSV file 'lumis infer --draws-csv' wrote; by default the file next to \
                the posterior named <posterior without .json>.draws.csv. Every variable gets a histogram (a bar \
                chart of probabilities when its values are few integers); MCMC and prior runs also get trace and \
                autocorrelation plots, importance-weighted runs do not.

                Example:
                  lumis infer ... --out run.json --draws-csv run.draws.csv
                  lumis plot run.json --out plots/ --overlay 'mu=normal(7.25,0.9129)'
                """)

        @Argument(
            help: "A posterior file written by 'lumis infer --out', or a calibration file (rank histograms).")
        var path: String

        @Option(help: ArgumentHelp("Directory for the SVG files (created if missing).", valueName: "directory"))
        var out: String

        @Option(
            help: ArgumentHelp("The draws CSV file (default: <posterior without .json>.draws.csv).", valueName: "file"))
        var draws: String?

        @Option(
            name: .customLong("overlay"),
            help: ArgumentHelp(
                "A density drawn over a histogram: label=normal(mean,stddev), uniform(low,high) or exponential(rate). "
                    + "Repeatable (default: none).",
                valueName: "label=density"))
        var overlays: [String] = []

        @Option(
            name: .customLong("var"),
            help: ArgumentHelp(
                "Plot only this variable (its elements too); repeat for several (default: all).", valueName: "name"))
        var selection: [String] = []

        func run() throws {
            if let report = try CalibrationFiles.read(path) {
                guard draws == nil && overlays.isEmpty && selection.isEmpty else {
                    throw ValidationError("--draws, --overlay and --var apply to posterior files.")
                }
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                let paths = try Plots.writeRankHistograms(report, to: out)
                Console.note("wrote \(paths.count - 1) rank histograms and index.html to \(out)")
                return
            }
            let summary = try PosteriorSummary(contentsOfFile: path)
            let drawsPath = draws ?? (path.hasSuffix(".json") ? String(path.dropLast(5)) : path) + ".draws.csv"
            guard FileManager.default.fileExists(atPath: drawsPath) else {
                throw ValidationError(
                    "no draws file '\(drawsPath)': run 'lumis infer ... --draws-csv \(drawsPath)' or give --draws FILE."
                )
            }
            var densities: [String: @Sendable (Double) -> Double] = [:]
            for overlay in overlays {
                let (label, density) = try Self.parseOverlay(overlay)
                densities[label] = density
            }
            let contents = try DrawsCSV.read(contentsOfFile: drawsPath)
            // A tensor variable's columns are labelled name[i,...]; --var name selects all of them.
            let baseName = { (label: String) in
                label.split(separator: "[", maxSplits: 1).first.map(String.init) ?? label
            }
            for name in selection where !contents.labels.contains(where: { $0 == name || baseName($0) == name }) {
                let known = contents.labels.map(baseName).reduce(into: [String]()) {
                    if !$0.contains($1) { $0.append($1) }
                }
                throw ValidationError(
                    "--var \(name): no such variable in \(drawsPath) (it has \(known.joined(separator: ", "))).")
            }
            let columns = contents.labels.indices.filter { column in
                selection.isEmpty || selection.contains(contents.labels[column])
                    || selection.contains(baseName(contents.labels[column]))
            }
            let series = columns.map { column in
                let (values, weights) = contents.series(ofColumn: column)
                return PlotSeries(label: contents.labels[column], chains: values, weights: weights)
            }
            for label in densities.keys where !contents.labels.contains(label) {
                throw ValidationError("--overlay names '\(label)', which is not a column of \(drawsPath).")
            }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let paths = try Plots.writeAll(
                series, isWeighted: summary.weighting == .importance, overlays: densities, to: out)
            Console.note("wrote \(paths.count - 1) plots and index.html to \(out)")
        }

        /// `label=kind(a,b)` → the label and the density.
        static func parseOverlay(_ text: String) throws -> (String, @Sendable (Double) -> Double) {
            guard let equals = text.lastIndex(of: "="), text.hasSuffix(")"), let open = text.lastIndex(of: "("),
                open > equals
            else {
                throw ValidationError("--overlay '\(text)': expected label=kind(parameters), e.g. mu=normal(0,1).")
            }
            let label = String(text[..<equals])
            let kind = text[text.index(after: equals)..<open].lowercased()
            let parameters = text[text.index(after: open)..<text.index(before: text.endIndex)]
                .split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !parameters.contains(where: { $0 == nil || !$0!.isFinite }) else {  // nil checked first
                throw ValidationError("--overlay '\(text)': parameters must be finite numbers.")
            }
            let p = parameters.compactMap { $0 }
            switch (kind, p.count) {
            case ("normal", 2) where p[1] > 0:
                return (label, { x in exp(-0.5 * pow((x - p[0]) / p[1], 2)) / (p[1] * (2 * Double.pi).squareRoot()) })
            case ("uniform", 2) where p[1] > p[0]:
                return (label, { x in x >= p[0] && x <= p[1] ? 1 / (p[1] - p[0]) : 0 })
            case ("exponential", 1) where p[0] > 0:
                return (label, { x in x >= 0 ? p[0] * exp(-p[0] * x) : 0 })
            default:
                throw ValidationError(
                    "--overlay '\(text)': use normal(mean,stddev>0), uniform(low<high) or exponential(rate>0).")
            }
        }
    }
}
