public import ArgumentParser
import Foundation
import LumisDistributed
import LumisInference
import LumisTransport

/// The `lumis` command: posterior inference over external simulators.
public struct LumisCommand: ParsableCommand {
    /// The command's description and subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "lumis",
        abstract: "Posterior inference over scientific simulators that speak PPX.",
        version: LumisVersion.current,
        subcommands: [
            Infer.self, Calibrate.self, Train.self, Dataset.self, DatasetInfo.self, Summary.self, Diagnose.self,
            Plot.self,
            Ping.self,
        ])

    /// Creates the command (argument-parser fills it in).
    public init() {}

    /// Parses the process arguments and runs the command; every error ends in exactly one line on stderr and a
    /// non-zero exit (64 for usage errors, 130 after Ctrl-C (SIGINT), 143 after SIGTERM, 1 otherwise).
    ///
    /// Under MPI a failing rank ends the whole launch (`MPI_Abort`): the other ranks would otherwise wait forever
    /// in their next collective.
    public static func runFromCommandLine() -> Never {
        do {
            var command = try parseAsRoot()
            try command.run()
            Communicator.finalize()
            Foundation.exit(0)
        } catch  where Interrupt.isRequested {
            // Whatever unwound the run (a receive loop, an MCMC failure wrapping it), a signal asked for it:
            // exit as the shell expects for that signal, 128 + its number.
            let signal = Interrupt.signal ?? SIGINT
            Console.note(signal == SIGTERM ? "lumis: terminated (SIGTERM)" : "lumis: interrupted")
            Communicator.abortAll(code: 128 + signal)
        } catch {
            let code = exitCode(for: error)
            // --help and --version arrive as errors with a success code; argument-parser prints those in full.
            if code == .success { exit(withError: error) }
            Console.note("Error: " + oneLineMessage(for: error))
            Communicator.abortAll(code: code.rawValue)
        }
    }

    /// The error's message without usage text, folded onto one line (a script reading stderr gets one line).
    static func oneLineMessage(for error: any Error) -> String {
        message(for: error).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
    }
}
