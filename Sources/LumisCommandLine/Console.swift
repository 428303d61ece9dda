import Foundation
import LumisDistributed
import LumisTransport

/// Standard-error output and signal handling for the command line.
enum Console {
    /// Whether standard error is a terminal (progress lines are drawn only then, unless asked for).
    static var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Writes one line to standard error; under an MPI launch, prefixed with the rank (all ranks share one
    /// terminal or log).
    static func note(_ line: String) {
        FileHandle.standardError.write(Data((rankPrefix + line + "\n").utf8))
    }

    /// `"rank N: "` under an MPI launch, else empty; read from the launcher's environment, so it is right before
    /// MPI starts.
    static let rankPrefix: String = {
        let environment = ProcessInfo.processInfo.environment
        guard Communicator.isLaunchedByMPI(environment: environment) else { return "" }
        let rank = ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"].lazy.compactMap { environment[$0] }.first
        return rank.map { "rank \($0): " } ?? ""
    }()

    /// Routes SIGINT and SIGTERM to ``Interrupt``: blocked receive loops notice within 100 ms and unwind, which
    /// stops launched simulators and leaves no half-written output (`lumis train` writes a checkpoint first).
    static func installInterruptHandlers() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in Interrupt.request(signal: signal) }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        // A parent may start us with these blocked (a test runner's worker thread did): the handler would then
        // never run and Ctrl-C would be ignored. Threads started later inherit this thread's mask.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }
}
