import ArgumentParser
import LumisInference

/// The options of the chains of `lumis infer` and `lumis calibrate` with `--engine lmh|rmh` (where the chains start:
/// ``ChainStartOptions``, infer only).
struct MCMCOptions: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: "Number of chains, each with its own simulator (default: one per --simulator, or 4 with --launch).",
        transform: Count.positive)
    var chains: Int?

    @Option(
        parsing: .unconditional,
        help: "Proposals per chain before the first kept draw (default 1000; 0 when infer --resume continues chains).",
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
            proposals rather than a single-site move (default: 0.2, or when infer --resume continues chains, the file's).
            """)
    var networkMoveProbability: Double?

    /// Whether any option of the chains (not the network move) was given.
    var isUsed: Bool { chains != nil || burnIn != nil || thin != 1 || stepSize != 1 }

    /// The chains these options ask for, started at `start`.
    func settings(start: InferenceRun.Chains.Start = .prior) -> InferenceRun.Chains {
        InferenceRun.Chains(count: chains, burnIn: burnIn, thin: thin, start: start)
    }

    func validate() throws {
        guard stepSize > 0, stepSize.isFinite else { throw ValidationError("--step-size must be a positive number.") }
        if let probability = networkMoveProbability, !(probability > 0 && probability <= 1) {
            throw ValidationError("--network-move-probability must be above 0 and at most 1.")
        }
    }
}
