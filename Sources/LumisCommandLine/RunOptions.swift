import ArgumentParser

/// Options every long-running command shares: failure tolerance and the progress line.
struct RunOptions: ParsableArguments {
    @Option(
        parsing: .unconditional, help: "Failed trace attempts in a row after which a worker gives up (default: 10).",
        transform: Count.nonNegative)
    var maxFailures = 10

    @Flag(inversion: .prefixedNo, help: "Show a progress line on stderr (default: when stderr is a terminal).")
    var progress: Bool?

    /// Whether to draw the progress line.
    var showsProgress: Bool { progress ?? Console.isTerminal }
}
