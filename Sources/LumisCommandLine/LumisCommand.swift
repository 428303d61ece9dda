public import ArgumentParser

/// The `lumis` command: posterior inference over external simulators.
public struct LumisCommand: ParsableCommand {
    /// The command's description and subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "lumis",
        abstract: "Posterior inference over scientific simulators that speak PPX.",
        version: "0.1.0",
        subcommands: [Infer.self, Summary.self, Ping.self])

    /// Creates the command (argument-parser fills it in).
    public init() {}
}
