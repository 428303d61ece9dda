import ArgumentParser
import LumisInference

/// Where the chains of `lumis infer --engine lmh|rmh` start: a new draw from the prior, the states of a posterior
/// file, or where a posterior file's chains stopped.
struct ChainStartOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Start chain k from state k of this posterior file's chain_states (default: a draw from the prior).",
            valueName: "file"))
    var initialTrace: String?

    @Option(
        help: ArgumentHelp(
            "Continue the chains saved in this posterior file (same seed, chains and random streams; default: "
                + "new chains).",
            valueName: "file"))
    var resume: String?

    /// Whether either option was given.
    var isUsed: Bool { initialTrace != nil || resume != nil }

    /// The start these options ask for.
    var start: InferenceRun.Chains.Start {
        resume.map { .resume(path: $0) } ?? initialTrace.map { .initialTrace(path: $0) } ?? .prior
    }

    func validate() throws {
        if initialTrace != nil && resume != nil {
            throw ValidationError("Give either --initial-trace or --resume, not both.")
        }
    }
}
