import ArgumentParser
import Foundation
import LumisSimulation

/// The options that say how to reach simulators: attach to running ones or launch them.
///
/// Not validated here: ``ConnectionOptions`` requires one way, `lumis train` also accepts a dataset instead.
struct SimulatorOptions: ParsableArguments {
    @Option(
        name: .customLong("simulator"),
        help: ArgumentHelp(
            "Endpoint of a running simulator (e.g. tcp://127.0.0.1:5555, ipc:///tmp/sim). Repeat it, one per worker; "
                + "under MPI the endpoints are dealt out to the ranks in order, and --workers counts per rank. "
                + "No default: give --simulator or --launch.",
            valueName: "endpoint"))
    var endpoints: [String] = []

    @Option(
        help: ArgumentHelp(
            "Command that starts a simulator; '{endpoint}' is replaced by a private ipc endpoint. One per worker. "
                + "No default: give --simulator or --launch.",
            valueName: "command"))
    var launch: String?

    @Option(help: ArgumentHelp("Seconds to wait for any one simulator reply.", valueName: "seconds"))
    var timeout: Double = 60

    @Option(
        help: ArgumentHelp(
            "Seconds a launched simulator may take to start and answer (a note after 5 s); one that exits or "
                + "never answers before its first handshake ends the run.",
            valueName: "seconds"))
    var startupTimeout: Double = 30

    @Option(
        help: ArgumentHelp(
            "Where launched simulators' output goes: inherit (our stderr), null, or a directory for "
                + "simulator-<worker>.log files.",
            valueName: "inherit|null|dir"))
    var simulatorOutput = "null"

    /// Whether no simulator was named.
    var isEmpty: Bool { endpoints.isEmpty && launch == nil }

    /// Checks that exactly one way of reaching simulators was given, and the timeout.
    func check() throws {
        switch (endpoints.isEmpty, launch) {
        case (true, nil): throw ValidationError("Give --simulator ENDPOINT or --launch 'COMMAND {endpoint}'.")
        case (false, .some): throw ValidationError("Give either --simulator or --launch, not both.")
        case (true, .some(let command)) where !command.contains("{endpoint}"):
            throw ValidationError("--launch command must contain '{endpoint}' where the endpoint goes.")
        default: break
        }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number.") }
        guard startupTimeout > 0, startupTimeout.isFinite else {
            throw ValidationError("--startup-timeout must be a positive number.")
        }
        if case .directory(let path) = output {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
                access(path, W_OK) == 0
            else {
                throw ValidationError("--simulator-output \(path): not a writable directory (or use inherit or null).")
            }
        }
        for endpoint in endpoints {
            let parsed = try Endpoint(checking: endpoint)
            if parsed.isRemote {
                Console.note(
                    "note: \(endpoint) is not a loopback address, and PPX has no authentication: anyone who can reach "
                        + "it can talk to the simulator; prefer ipc:// or a tunnel")
            }
        }
    }

    /// Where launched simulators' output goes.
    var output: LaunchSettings.Output {
        switch simulatorOutput {
        case "inherit": .inherit
        case "null": .discard
        default: .directory(simulatorOutput)
        }
    }

    /// How launched simulators are run; a slow start-up is noted on stderr.
    var launchSettings: LaunchSettings {
        LaunchSettings(
            output: output, startupTimeout: .milliseconds(Int64((startupTimeout * 1000).rounded())),
            onSlowStartup: { endpoint, seconds in
                Console.note("still waiting for the simulator at \(endpoint) to answer (\(seconds) s so far)")
            })
    }

    /// Every simulator of the launch: the command to launch, or all the endpoints (each rank takes its share).
    var allSimulators: SimulatorSource {
        launch.map { .launch(command: $0, settings: launchSettings) } ?? .attach(endpoints: endpoints)
    }

    /// Rank `rank` of `rankCount`'s simulators and workers, by the one rule of every command
    /// (``SimulatorSource/share(rank:of:workers:)``).
    ///
    /// - Parameters:
    ///   - workers: `--workers`, per rank; `nil` for one per endpoint of the rank's share, or one launched process.
    ///   - countOption: the option that set `workers`, for messages (`--chains` for MCMC).
    func source(workers: Int?, rank: Int = 0, of rankCount: Int = 1, countOption: String = "--workers") throws -> (
        source: SimulatorSource, workers: Int
    ) {
        do {
            return try allSimulators.share(rank: rank, of: rankCount, workers: workers)
        } catch {
            throw usageError(for: error, countOption: countOption)
        }
    }

    /// The usage error for endpoints that cannot be dealt out, in the words of the options.
    func usageError(for error: SimulatorSource.AssignmentError, countOption: String) -> ValidationError {
        if error.ranks == 1, let workers = error.workers {
            return ValidationError(
                "\(countOption) \(workers) needs \(workers) --simulator endpoints (a REP simulator serves one run at a "
                    + "time); got \(endpoints.count).")
        }
        return ValidationError(
            "the --simulator endpoints are dealt out to the \(error.ranks) ranks in order: "
                + (error.workers.map { "\(countOption) \($0) per rank needs \(error.needed) endpoints" }
                    ?? "\(error.ranks) ranks need at least \(error.ranks) endpoints")
                + ", got \(endpoints.count). Or use --launch.")
    }

    var timeoutDuration: Duration { .milliseconds(Int64((timeout * 1000).rounded())) }
}
