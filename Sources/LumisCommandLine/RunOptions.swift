import ArgumentParser

/// Options every long-running command shares: failure tolerance and the progress line.
struct RunOptions: ParsableArguments {
    @Option(help: "Failed trace attempts in a row after which a worker gives up.")
    var maxFailures = 10

    @Flag(inversion: .prefixedNo, help: "Show a progress line on stderr (default: when stderr is a terminal).")
    var progress: Bool?

    func validate() throws {
        guard maxFailures >= 0 else { throw ValidationError("--max-failures must not be negative.") }
    }

    /// Whether to draw the progress line.
    var showsProgress: Bool { progress ?? Console.isTerminal }
}
