import ArgumentParser
import LumisInference

/// Where `lumis train` gets its traces: simulators, attached or launched (as for `lumis infer`), or a dataset
/// written by `lumis dataset`.
struct TrainingSourceOptions: ParsableArguments {
    @Option(
        name: .customLong("simulator"),
        help: ArgumentHelp(
            "Endpoint of a running simulator (e.g. tcp://127.0.0.1:5555, ipc:///tmp/sim). Repeat it, one per worker "
                + "(per rank under MPI).",
            valueName: "endpoint"))
    var endpoints: [String] = []

    @Option(
        help: ArgumentHelp(
            "Command that starts a simulator; '{endpoint}' is replaced by a private ipc endpoint. One per worker.",
            valueName: "command"))
    var launch: String?

    @Option(help: ArgumentHelp("Seconds to wait for any one simulator reply.", valueName: "seconds"))
    var timeout: Double = 60

    @Option(
        help: ArgumentHelp(
            "Train on the traces of this dataset (lumis dataset) instead of simulators: validation on its last "
                + "--validation-traces traces, training cycling over the others in order.",
            valueName: "dir"))
    var dataset: String?

    func validate() throws {
        guard dataset == nil else {
            guard endpoints.isEmpty && launch == nil else {
                throw ValidationError("Give either --dataset or simulators (--simulator, --launch), not both.")
            }
            return
        }
        try ConnectionOptions.check(endpoints: endpoints, launch: launch, timeout: timeout)
    }

    /// The job source for `workers` workers.
    func source(workers: Int) throws -> InferenceJob.Source {
        try ConnectionOptions.source(endpoints: endpoints, launch: launch, workers: workers)
    }

    var timeoutDuration: Duration { .milliseconds(Int64((timeout * 1000).rounded())) }
}
