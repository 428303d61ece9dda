import Foundation
public import LumisCore
public import LumisDistributed
public import LumisSimulation
import LumisStorage

/// One inference run, whatever the engine: what `lumis infer` does, as a library call.
///
/// It owns every step the engines share: the seed (one rule: the given one, else one drawn at random and reported
/// with the results), the split over the ranks of an MPI launch and the merge on rank 0 (so a split run's files
/// equal one process's, byte for byte), progress (``RunProgress``, on rank 0 only), the posterior file's
/// metadata, and the output files (checked before any simulator starts, written all or nothing at the end).
/// IC is importance sampling whose proposal is a network, supplied through ``NetworkProposal``.
public struct InferenceRun: Sendable {
    /// The inference engines.
    public enum Engine: Sendable {
        /// Prior sampling: unweighted traces from the model.
        case prior
        /// Importance sampling with the prior or a trained network as proposal.
        case importance(proposal: Proposal)
        /// Lightweight Metropolis–Hastings: a site redrawn from its prior.
        case lmh
        /// Random-walk Metropolis–Hastings with step scale `stepSize` (docs/mcmc.md).
        case rmh(stepSize: Double)

        /// The proposal of importance sampling.
        public enum Proposal: Sendable {
            /// The prior (`is`).
            case prior
            /// A trained inference network (`ic`).
            case network(any NetworkProposal)
        }

        /// Importance sampling with the prior as proposal.
        public static let importanceSampling = Engine.importance(proposal: .prior)

        /// The engine's name on the command line and in posterior files: `prior`, `is`, `ic`, `lmh` or `rmh`.
        public var name: String {
            switch self {
            case .prior: "prior"
            case .importance(.prior): "is"
            case .importance(.network): "ic"
            case .lmh: "lmh"
            case .rmh: "rmh"
            }
        }

        /// The MCMC site proposal, `nil` for prior and importance sampling.
        public var kernel: MetropolisHastings.Kernel? {
            switch self {
            case .lmh: .lightweight
            case .rmh(let stepSize): .randomWalk(stepSize: stepSize)
            case .prior, .importance: nil
            }
        }
    }

    /// The chains of an MCMC run.
    public struct Chains: Sendable, Equatable {
        /// Where the chains start.
        public enum Start: Sendable, Equatable {
            /// A trace from the prior with positive likelihood.
            case prior
            /// Chain *k* from state *k* (cyclically) of this posterior file's `chain_states`.
            case initialTrace(path: String)
            /// Where the chains of this posterior file stopped: same seed, chains and random streams.
            case resume(path: String)
        }

        /// How many chains, each with its own simulator; `nil` for ``defaultCount(endpoints:)`` (or a resumed
        /// file's count).
        public var count: Int?
        /// Proposals per chain before the first kept draw; `nil` for ``defaultBurnIn`` (0 when resuming).
        public var burnIn: Int?
        /// Keep every `thin`-th state after burn-in.
        public var thin: Int
        /// Where the chains start.
        public var start: Start

        /// Creates the settings.
        ///
        /// - Precondition: `count` and `thin` positive, `burnIn` non-negative.
        public init(count: Int? = nil, burnIn: Int? = nil, thin: Int = 1, start: Start = .prior) {
            precondition(count.map { $0 > 0 } ?? true && thin > 0 && burnIn.map { $0 >= 0 } ?? true)
            self.count = count
            self.burnIn = burnIn
            self.thin = thin
            self.start = start
        }

        /// The burn-in of new chains when the request does not set it.
        public static let defaultBurnIn = 1_000

        /// The chain count when neither the request nor a resumed file sets it: one per attached endpoint, else 4.
        public static func defaultCount(endpoints: Int) -> Int { endpoints == 0 ? 4 : endpoints }
    }

    /// Where the simulators come from.
    enum Simulators: Sendable {
        /// Attached or launched simulators: each rank takes its share (``SimulatorSource/share(rank:of:workers:)``).
        case source(SimulatorSource)
        /// Simulators in this process (tests, models written in Swift), made per worker or chain.
        case inProcess(@Sendable (Int) throws -> any Simulator)
    }

    /// The engine.
    public var engine: Engine
    /// Where the simulators come from.
    var simulators: Simulators
    /// Simulators run at once per rank (prior and importance sampling); `nil` for one per attached endpoint of the
    /// rank's share, else 1.
    public var workers: Int?
    /// Traces (prior and importance sampling), or proposals per chain after burn-in (MCMC).
    public var traceCount: Int
    /// The random seed; `nil` to draw one at random (reported in the outcome's notes).
    public var seed: UInt64?
    /// The observed values; `nil` when none were given (a resumed MCMC run then keeps its file's).
    public var observations: ObservationSet?
    /// The longest wait for one simulator reply.
    public var timeout: Duration = .seconds(60)
    /// Failed attempts in a row after which a worker (or chain) gives up.
    public var maxConsecutiveFailures = 10
    /// The chains of an MCMC run.
    public var chains = Chains()
    /// MCMC: whole-trace independence moves from a network's proposals mixed with the single-site moves
    /// (`--network` with `lmh`/`rmh`); `nil` for single-site moves only.
    public var networkMove: NetworkMove?

    /// Network-guided MCMC: the network whose proposals make the independence moves, checked against the run as
    /// IC checks it (observations before any simulator starts, each simulator's model before its first trace).
    public struct NetworkMove: Sendable {
        /// The network.
        public var network: any GuidingNetworkProposal
        /// The probability of an independence move at each step; `nil` for the resumed file's, else
        /// ``IndependenceMove/defaultProbability``.
        public var probability: Double?

        /// Creates the settings.
        ///
        /// - Precondition: `probability`, if given, is in (0, 1].
        public init(network: any GuidingNetworkProposal, probability: Double? = nil) {
            precondition(probability.map { $0 > 0 && $0 <= 1 } ?? true, "the move probability must be in (0, 1]")
            self.network = network
            self.probability = probability
        }
    }
    /// Whether a given observation the first trace does not observe is an error (a ``InferenceRunError`` of kind
    /// `.request`, before any output is written) rather than a warning.
    public var rejectsUnusedObservations = false
    /// The processes of the launch; each runs its share and rank 0 merges and writes.
    public var world = Communicator.single

    /// Creates a run over attached or launched simulators.
    ///
    /// - Precondition: `traceCount > 0`; `workers`, if given, is positive.
    public init(
        engine: Engine, source: SimulatorSource, traceCount: Int, workers: Int? = nil, seed: UInt64? = nil,
        observations: ObservationSet? = nil
    ) {
        precondition(traceCount > 0 && workers.map { $0 > 0 } ?? true, "traceCount and workers must be positive")
        self.engine = engine
        self.simulators = .source(source)
        self.traceCount = traceCount
        self.workers = workers
        self.seed = seed
        self.observations = observations
    }

    /// Creates a run over simulators in this process, one made by `makeSimulator` per worker (or chain), on that
    /// worker's thread.
    ///
    /// - Precondition: `traceCount > 0`; `workers`, if given, is positive.
    public init(
        engine: Engine, traceCount: Int, workers: Int? = nil, seed: UInt64? = nil, observations: ObservationSet? = nil,
        makeSimulator: @escaping @Sendable (Int) throws -> any Simulator
    ) {
        precondition(traceCount > 0 && workers.map { $0 > 0 } ?? true, "traceCount and workers must be positive")
        self.engine = engine
        self.simulators = .inProcess(makeSimulator)
        self.traceCount = traceCount
        self.workers = workers
        self.seed = seed
        self.observations = observations
    }

    /// What a run produced, on rank 0.
    public struct Outcome: Sendable {
        /// The posterior file's contents (also what a table shows).
        public var summary: PosteriorSummary
        /// Prior and importance sampling: the merged traces and counters.
        public var traces: JobOutput?
        /// MCMC: the merged chains, statistics and final states.
        public var chains: MCMCOutput?
        /// The seed the run used.
        public var seed: UInt64
        /// Lines for the user, in order: a seed drawn at random, failures survived, fallbacks, files written.
        public var notes: [String]
        /// The files written.
        public var writtenPaths: [String]
        /// Why an MCMC run stopped early (the files hold the draws collected so far), for the caller to report as
        /// the run's error; `nil` for a complete run.
        public var failure: MCMCFailure?

        /// The weighted traces of a prior or importance-sampling run; for MCMC, every chain's kept draws pooled with
        /// equal weights.
        public var posterior: Posterior? { traces?.posterior ?? chains?.chainSet.pooledPosterior }
    }

    /// Runs the engine on this rank's share and, on rank 0, merges every rank's part and writes `outputs`.
    ///
    /// Every rank of the launch calls this with the same request; collectives run in the same order on each.
    /// - Parameters:
    ///   - outputs: the files to write; checked before any simulator starts.
    ///   - progress: called on rank 0 after each chunk of traces (or now and then with the chains' proposals),
    ///     never concurrently with itself.
    ///   - warning: called on rank 0, during the run, with a line for the user: given observations the first trace
    ///     did not observe.
    /// - Returns: the outcome on rank 0, `nil` on the other ranks.
    /// - Throws: ``InferenceRunError`` (`.request`: a usage error), `SimulatorSource.AssignmentError` (endpoints
    ///   that cannot be dealt out), the outputs' check or write error, a network proposal's check error, ``LaunchError``, ``SimulatorFailure``,
    ///   ``RepeatedFailure``, ``ModelError``, `ZMQError`, `MPIError`, or `ZMQSocket.WaitError.interrupted` after
    ///   a signal. Launched simulators are stopped in every case.
    public func run(
        outputs: (any RunOutputs)? = nil, progress: (@Sendable (RunProgress) -> Void)? = nil,
        warning: (@Sendable (String) -> Void)? = nil
    ) throws -> Outcome? {
        try check(outputs)
        let progress = world.isRoot ? progress : nil
        let warning = world.isRoot ? warning : nil
        if let kernel = engine.kernel {
            return try runChains(kernel: kernel, outputs: outputs, progress: progress, warning: warning)
        }
        return try runTraces(outputs: outputs, progress: progress, warning: warning)
    }

    /// The traces the run keeps in memory: the traces, or for MCMC every chain's kept draws (`Int.max` if that
    /// overflows); a resumed file's chain count is not read for it.
    public var storedTraceCount: Int {
        guard engine.kernel != nil else { return traceCount }
        let (kept, overflow) = (chains.count ?? defaultChainCount).multipliedReportingOverflow(
            by: traceCount / chains.thin)
        return overflow ? Int.max : kept
    }

    /// Refuses, before any simulator starts, a run whose traces cannot fit in memory (``MemoryBudget``).
    ///
    /// - Parameter what: what the message names as needing the memory (such as `"--traces 10000000000"`).
    /// - Throws: ``MemoryBudget/Exceeded``.
    public func checkMemory(what: String) throws(MemoryBudget.Exceeded) {
        try MemoryBudget.check(count: storedTraceCount, bytesEach: TraceStore.minimumBytesPerTrace, what: what)
    }

    // MARK: Shared steps

    /// The seed every rank uses: the given one, else one rank 0 draws and broadcasts.
    func agreedSeed(_ seed: UInt64?) throws -> UInt64 {
        try seed ?? world.broadcast(UInt64.random(in: 0...UInt64.max))
    }

    /// The one seed rule of every engine: a seed drawn at random is reported with the results (not up front, so a
    /// run that fails at once says one line only), with how to repeat the run.
    static func seedNote(_ seed: UInt64, given: UInt64?) -> [String] {
        given == nil ? ["seed \(seed) (drawn at random; --seed \(seed) repeats the run)"] : []
    }

    /// Checks on rank 0 that the outputs can be written, before any simulator starts; if not, rank 0 throws the
    /// check's error (and so ends the launch with one line) while the other ranks wait for that end.
    func check(_ outputs: (any RunOutputs)?) throws {
        var problem = ""
        var rootError: (any Error)?
        if world.isRoot, let outputs {
            do {
                try outputs.check()
            } catch {
                problem = "\(error)"
                rootError = error
            }
        }
        let verdict = try world.broadcast(Array(problem.utf8))
        guard !verdict.isEmpty else { return }
        if let rootError { throw rootError }
        // Rank 0 reports the error and aborts the launch, which ends this rank here.
        try world.barrier()
        throw InferenceRunError(.distributed, String(decoding: verdict, as: UTF8.self))
    }

    /// Tracks the given observations' use on this rank; only rank 0 judges the first trace, the run's.
    func makeObservationUse(
        _ observations: ObservationSet, warning: (@Sendable (String) -> Void)?
    ) -> ObservationUse {
        ObservationUse(
            given: observations.values.keys, judgesFirstTrace: world.isRoot, isStrict: rejectsUnusedObservations,
            warn: warning)
    }

    /// On rank 0, the given observations that no trace on any rank observed (`local`: this rank's, `nil` if it ran
    /// no traces); `nil` on the other ranks.
    func unusedOnAllRanks(_ local: [String]?) throws -> [String]? {
        var writer = ByteWriter()
        if let local {
            writer.write(local.count)
            for name in local { writer.write(name) }
        }
        guard let parts = try world.gather(world.isRoot ? [] : writer.bytes) else { return nil }
        var unused = local.map(Set.init)
        for rank in 1..<parts.count where !parts[rank].isEmpty {
            try Self.decodingPart(of: rank) { () throws(ByteReader.Malformed) in
                var reader = ByteReader(parts[rank])
                var names = Set<String>()
                for _ in 0..<(try reader.readCount("unused observation count", itemSize: 8)) {
                    names.insert(try reader.readString("unused observation"))
                }
                try reader.expectEnd("rank \(rank)'s unused observations")
                unused = unused?.intersection(names) ?? names
            }
        }
        return (unused ?? []).sorted()
    }

    /// Writes `outputs` on rank 0 and returns the notes naming them.
    static func write(
        _ outputs: (any RunOutputs)?, isPartial: Bool = false, _ body: (any RunOutputs) throws -> [String]
    ) throws -> (paths: [String], notes: [String]) {
        guard let outputs else { return ([], []) }
        let paths = try body(outputs)
        return (paths, paths.map { isPartial ? "wrote the draws collected so far to \($0)" : "wrote \($0)" })
    }

    /// Runs `body`, turning a decoding failure into an error naming the rank whose bytes were bad.
    static func decodingPart(of rank: Int, _ body: () throws(ByteReader.Malformed) -> Void) throws {
        do {
            try body()
        } catch {
            throw InferenceRunError(
                .distributed, "the result rank \(rank) sent is malformed: \(error.description)")
        }
    }
}
