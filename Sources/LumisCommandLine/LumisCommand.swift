public import ArgumentParser
import Foundation
import LumisTransport

/// The `lumis` command: posterior inference over external simulators.
public struct LumisCommand: ParsableCommand {
    /// The command's description and subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "lumis",
        abstract: "Posterior inference over scientific simulators that speak PPX.",
        version: "0.1.0",
        subcommands: [Infer.self, Train.self, Summary.self, Ping.self])

    /// Creates the command (argument-parser fills it in).
    public init() {}

    /// Parses the process arguments and runs the command; every error ends in one line on stderr and a non-zero
    /// exit (64 for usage errors, 130 after Ctrl-C, 1 otherwise).
    public static func runFromCommandLine() -> Never {
        do {
            var command = try parseAsRoot()
            try command.run()
            Foundation.exit(0)
        } catch ZMQSocket.WaitError.interrupted {
            FileHandle.standardError.write(Data("\nlumis: interrupted\n".utf8))
            Foundation.exit(130)
        } catch {
            exit(withError: error)
        }
    }
}
