import ArgumentParser
import LumisInference

extension LumisCommand {
    struct Diagnose: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a posterior file for convergence problems and explain them in plain words.",
            discussion: """
                The first line is the verdict: CONVERGED or NOT CONVERGED with the worst R-hat and the lowest ESS \
                and where they occur (an interrupted run is flagged INCOMPLETE before it); the details follow. \
                Flags R-hat above 1.01, bulk or tail ESS below 400 (or 100 per chain), sites accepting fewer than \
                5% of proposals, and simulator restarts. Exits 0 whether or not it warns (warnings are advice); \
                exits 1 only when the file cannot be read.
                """)

        @Argument(help: "A posterior file written by 'lumis infer --out'.")
        var path: String

        func run() throws {
            let summary = try PosteriorSummary(contentsOfFile: path)
            if let warning = summary.incompleteWarning { print(warning) }
            let warnings = summary.convergenceWarnings()
            if let headline = summary.convergenceHeadline() {
                print(headline.line())
                if !warnings.isEmpty { print("") }
            } else {
                print("\(path): not an MCMC run; no chain diagnostics to check.")
                if let ess = summary.effectiveSampleSize, summary.weighting == .importance,
                    ess < 0.01 * Double(summary.traceCount)
                {
                    print(
                        "warning: importance-sampling ESS is \(ess) of \(summary.traceCount) traces; "
                            + "the weights are dominated by a few traces.")
                }
            }
            for warning in warnings { print("warning: \(warning)") }
        }
    }
}
