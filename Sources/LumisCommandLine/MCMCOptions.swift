import ArgumentParser
import LumisInference

/// The options of `lumis infer --engine lmh|rmh`.
struct MCMCOptions: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: "Number of chains, each with its own simulator (default: one per --simulator, or 4 with --launch).",
        transform: Count.positive)
    var chains: Int?

    @Option(
        parsing: .unconditional,
        help: "Proposals per chain before the first kept draw (default 1000; 0 with --resume).",
        transform: Count.nonNegative)
    var burnIn: Int?

    @Option(
        parsing: .unconditional, help: "Keep every T-th state after burn-in (default: 1).", transform: Count.positive)
    var thin: Int = 1

    @Option(help: "RMH step scale: multiplies each kernel's width (docs/mcmc.md).")
    var stepSize: Double = 1

    @Option(
        help: """
            With --network: the probability that a step is a whole-trace independence move from the network's \
            proposals rather than a single-site move (default: 0.2, or with --resume the file's).
            """)
    var networkMoveProbability: Double?

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

    /// Whether any MCMC option was given.
    var isUsed: Bool {
        chains != nil || burnIn != nil || thin != 1 || stepSize != 1 || initialTrace != nil || resume != nil
    }

    /// The chains these options ask for.
    var settings: InferenceRun.Chains {
        let start: InferenceRun.Chains.Start =
            resume.map { .resume(path: $0) } ?? initialTrace.map { .initialTrace(path: $0) } ?? .prior
        return InferenceRun.Chains(count: chains, burnIn: burnIn, thin: thin, start: start)
    }

    func validate() throws {
        guard stepSize > 0, stepSize.isFinite else { throw ValidationError("--step-size must be a positive number.") }
        if let probability = networkMoveProbability, !(probability > 0 && probability <= 1) {
            throw ValidationError("--network-move-probability must be above 0 and at most 1.")
        }
        if initialTrace != nil && resume != nil {
            throw ValidationError("Give either --initial-trace or --resume, not both.")
        }
    }
}
