import ArgumentParser
import LumisSimulation

/// The options that say how to reach simulators: attach to running ones or launch them.
///
/// Not validated here: ``ConnectionOptions`` requires one way, `lumis train` also accepts a dataset instead.
struct SimulatorOptions: ParsableArguments {
    @Option(
        name: .customLong("simulator"),
        help: ArgumentHelp(
            "Endpoint of a running simulator (e.g. tcp://127.0.0.1:5555, ipc:///tmp/sim). Repeat it, one per worker "
                + "(under MPI, dealt out to the ranks in order).",
            valueName: "endpoint"))
    var endpoints: [String] = []

    @Option(
        help: ArgumentHelp(
            "Command that starts a simulator; '{endpoint}' is replaced by a private ipc endpoint. One per worker.",
            valueName: "command"))
    var launch: String?

    @Option(help: ArgumentHelp("Seconds to wait for any one simulator reply.", valueName: "seconds"))
    var timeout: Double = 60

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
    }

    /// The job source for `workers` workers; `countOption` names the option that set the count in errors.
    func source(workers: Int, countOption: String = "--workers") throws -> SimulatorSource {
        if let launch { return .launch(command: launch) }
        if endpoints.count == workers { return .attach(endpoints: endpoints) }
        throw ValidationError(
            "\(countOption) \(workers) needs \(workers) --simulator endpoints (a REP simulator serves one run at a "
                + "time); got \(endpoints.count).")
    }

    var timeoutDuration: Duration { .milliseconds(Int64((timeout * 1000).rounded())) }
}
