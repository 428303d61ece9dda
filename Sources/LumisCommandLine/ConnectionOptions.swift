import ArgumentParser
import LumisInference

/// How to reach the simulators: attach to running ones or launch them.
struct ConnectionOptions: ParsableArguments {
    @Option(
        name: .customLong("simulator"),
        help: ArgumentHelp(
            "Endpoint of a running simulator (e.g. tcp://127.0.0.1:5555, ipc:///tmp/sim). Repeat it, one per worker.",
            valueName: "endpoint"))
    var endpoints: [String] = []

    @Option(
        help: ArgumentHelp(
            "Command that starts a simulator; '{endpoint}' is replaced by a private ipc endpoint. One per worker.",
            valueName: "command"))
    var launch: String?

    @Option(help: ArgumentHelp("Seconds to wait for any one simulator reply.", valueName: "seconds"))
    var timeout: Double = 60

    func validate() throws { try Self.check(endpoints: endpoints, launch: launch, timeout: timeout) }

    /// Checks one way of reaching simulators (shared with `lumis train`, whose options add `--dataset`).
    static func check(endpoints: [String], launch: String?, timeout: Double) throws {
        switch (endpoints.isEmpty, launch) {
        case (true, nil): throw ValidationError("Give --simulator ENDPOINT or --launch 'COMMAND {endpoint}'.")
        case (false, .some): throw ValidationError("Give either --simulator or --launch, not both.")
        case (true, .some(let command)) where !command.contains("{endpoint}"):
            throw ValidationError("--launch command must contain '{endpoint}' where the endpoint goes.")
        default: break
        }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number.") }
    }

    /// The job source for `workers` workers.
    func source(workers: Int) throws -> InferenceJob.Source {
        try Self.source(endpoints: endpoints, launch: launch, workers: workers)
    }

    /// The job source for `workers` workers given these options' values.
    static func source(endpoints: [String], launch: String?, workers: Int) throws -> InferenceJob.Source {
        if let launch { return .launch(command: launch) }
        if endpoints.count == workers { return .attach(endpoints: endpoints) }
        throw ValidationError(
            "--workers \(workers) needs \(workers) --simulator endpoints (a REP simulator serves one run at a time);"
                + " got \(endpoints.count).")
    }

    var timeoutDuration: Duration { .milliseconds(Int64((timeout * 1000).rounded())) }
}
