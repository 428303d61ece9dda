import ArgumentParser

/// Options every long-running command shares: failure tolerance and progress reporting.
struct RunOptions: ParsableArguments {
    @Option(
        parsing: .unconditional, help: "Failed trace attempts in a row after which a worker gives up (default: 10).",
        transform: Count.nonNegative)
    var maxFailures = 10

    @Flag(
        inversion: .prefixedNo,
        help: """
            Show progress on stderr: --progress a live line, --no-progress nothing (default: a live line on a \
            terminal, else a plain line every --progress-every seconds).
            """)
    var progress: Bool?

    @Option(
        help: ArgumentHelp(
            "When stderr is not a terminal, write a progress line every this many seconds.", valueName: "seconds"))
    var progressEvery: Double = 60

    func validate() throws {
        guard maxFailures >= 0 else { throw ValidationError("--max-failures must not be negative.") }
        guard progressEvery > 0, progressEvery.isFinite else {
            throw ValidationError("--progress-every must be a positive number of seconds.")
        }
    }

    /// How to show progress, `nil` for not at all.
    var progressStyle: ProgressReporter.Style? {
        switch progress {
        case true?: .live
        case false?: nil
        case nil: Console.isTerminal ? .live : .periodic(seconds: progressEvery)
        }
    }

    /// A reporter for this rank (only rank 0 reports: ranks share one terminal or log), or `nil`.
    func progressReporter(isRoot: Bool) -> ProgressReporter? {
        guard isRoot, let style = progressStyle else { return nil }
        return ProgressReporter(style: style)
    }
}
