import ArgumentParser
import LumisInference

extension LumisCommand {
    struct Summary: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a posterior or calibration file as a table.",
            discussion: """
                Variables are listed in natural order (x2 before x10). An interrupted MCMC run's file is flagged \
                INCOMPLETE on the first line. A calibration file (lumis calibrate) gets one row per latent, with \
                MISCALIBRATED where a coverage leaves its binomial 4-sigma band or the KS p-value is below 0.001.
                """)

        @Argument(
            help: "A posterior file written by 'lumis infer --out', or a calibration file from 'lumis calibrate'.")
        var path: String

        @Option(
            name: .customLong("var"),
            help: ArgumentHelp(
                "Print only this variable (a name, address__instance or (result)); repeat for several "
                    + "(default: all).",
                valueName: "name"))
        var selection: [String] = []

        func run() throws {
            if let report = try CalibrationFiles.read(path) {
                guard selection.isEmpty else { throw ValidationError("--var applies to posterior files.") }
                print(report.renderTable(), terminator: "")
                return
            }
            let summary = try PosteriorSummary(contentsOfFile: path)
            let names = try Self.check(selection, known: summary.variableNames, in: path)
            print(summary.renderTable(selecting: names), terminator: "")
        }

        /// The selected names as a set (`nil` for all), or a usage error naming the first unknown one.
        static func check(_ selection: [String], known: [String], in path: String) throws -> Set<String>? {
            guard !selection.isEmpty else { return nil }
            for name in selection where !known.contains(name) {
                let shown = known.prefix(12).joined(separator: ", ") + (known.count > 12 ? ", ..." : "")
                throw ValidationError("--var \(name): no such variable in \(path) (it has \(shown)).")
            }
            return Set(selection)
        }
    }
}
