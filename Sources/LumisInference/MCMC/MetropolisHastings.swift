import Foundation
public import LumisCore
import LumisDistributions
public import LumisSimulation
import Synchronization

/// Single-site Metropolis–Hastings over simulator traces with full re-execution: lightweight MH (LMH, the site
/// redrawn from its prior) and random-walk MH (RMH, the site drawn from a mixture of a local kernel and the
/// prior).
///
/// The acceptance ratio and its derivation are in docs/mcmc.md.
///
/// Each chain runs on a thread of its own with its own simulator. Proposal *n* of chain *c* draws all its
/// randomness (the site, fresh values, the kernel, the accept test) from random stream `c · 2⁴⁰ + n` of the
/// seed, so a chain does not depend on timing or on the other chains, and a proposal redone after a simulator
/// failure is the same proposal.
public struct MetropolisHastings: Sendable {
    /// The site proposal.
    public enum Kernel: Sendable, Equatable {
        /// LMH: a fresh draw from the site's prior.
        case lightweight
        /// RMH: with probability ½ a local random-walk kernel with step scale `stepSize`, else the prior.
        case randomWalk(stepSize: Double)

        /// The engine's name on the command line and in posterior files: `lmh` or `rmh`.
        public var engineName: String { self == .lightweight ? "lmh" : "rmh" }
    }

    /// What to run.
    public struct Configuration: Sendable {
        /// The site proposal.
        public var kernel: Kernel
        /// Proposals per chain after burn-in.
        public var steps: Int
        /// Proposals per chain before the first kept draw.
        public var burnIn: Int
        /// Keep the state after every `thin`-th proposal after burn-in (the first one included).
        public var thin: Int
        /// The seed of every proposal's random stream.
        public var seed: UInt64
        /// The observed values.
        public var observations: ObservationSet
        /// Per chain, the state to start from (`nil` for the whole array or one chain: a trace from the prior).
        public var initialStates: [ChainState?]?
        /// How many prior traces a chain draws, at most, looking for one with positive likelihood to start from.
        public var maxInitialAttempts: Int
        /// The failed attempt in a row at one proposal at which a chain gives up (0 and 1: the first).
        public var maxConsecutiveFailures: Int
        /// The independence move mixed with the single-site moves (`--network`), `nil` for single-site moves only.
        ///
        /// With it, each proposal's random stream first decides the kernel (one uniform, below
        /// ``IndependenceMove/probability`` for the independence move); without it, streams are used exactly as
        /// before it existed.
        public var independence: IndependenceMove?
        /// Whether the acceptance ratio includes the trace-size correction `|C(x)| / |C(x′)|`.
        ///
        /// Only tests turn it off, to show that they detect a wrong ratio.
        package var includesTraceSizeCorrection = true

        /// Creates a configuration.
        ///
        /// - Precondition: `steps >= 0`, `burnIn >= 0`, `thin > 0`, `maxInitialAttempts > 0`,
        ///   `maxConsecutiveFailures >= 0`, and a random-walk step size is positive and finite.
        public init(
            kernel: Kernel, steps: Int, burnIn: Int = 0, thin: Int = 1, seed: UInt64,
            observations: ObservationSet = ObservationSet(), initialStates: [ChainState?]? = nil,
            maxInitialAttempts: Int = 1_000, maxConsecutiveFailures: Int = 10
        ) {
            precondition(steps >= 0 && burnIn >= 0 && thin > 0, "steps and burnIn must be >= 0, thin > 0")
            precondition(maxInitialAttempts > 0 && maxConsecutiveFailures >= 0, "invalid failure limits")
            if case .randomWalk(let stepSize) = kernel {
                precondition(stepSize > 0 && stepSize.isFinite, "step size must be positive and finite")
            }
            self.kernel = kernel
            self.steps = steps
            self.burnIn = burnIn
            self.thin = thin
            self.seed = seed
            self.observations = observations
            self.initialStates = initialStates
            self.maxInitialAttempts = maxInitialAttempts
            self.maxConsecutiveFailures = maxConsecutiveFailures
        }

        /// Kept draws per chain: `⌈steps / thin⌉`.
        public var drawsPerChain: Int { (steps + thin - 1) / thin }
    }

    /// The configuration.
    public let configuration: Configuration

    /// Creates a sampler.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// The random stream of proposal `step` of chain `chain`.
    static func proposalStream(chain: Int, step: Int) -> UInt64 { UInt64(chain) << 40 + UInt64(step) }

    /// The random stream of the `attempt`-th initial trace of chain `chain` (apart from all proposal streams).
    static func initialStream(chain: Int, attempt: Int) -> UInt64 {
        UInt64(chain) << 40 | 1 << 39 | UInt64(attempt)
    }

    /// Runs `chains` chains in parallel.
    ///
    /// - Parameters:
    ///   - chains: how many chains; each runs on a thread of its own.
    ///   - makeSimulator: creates chain *c*'s simulator, on that chain's thread.
    ///   - progress: called now and then with the proposals made so far, from any chain's thread.
    /// - Returns: every chain's draws, statistics and final state.
    /// - Throws: ``MCMCFailure`` holding the first error any chain met (a ``ModelError``, an unrecoverable or
    ///   repeated ``SimulatorFailure``, an interrupt, no usable initial trace) and everything the chains did
    ///   until they stopped; all chains stop promptly.
    /// - Precondition: `chains > 0`; `initialStates`, if given, has one element per chain.
    public func run(
        chains: Int, makeSimulator: @escaping @Sendable (Int) throws -> any Simulator,
        progress: (@Sendable (RunProgress) -> Void)? = nil
    ) throws -> MCMCOutput {
        precondition(chains > 0, "chains must be positive")
        if let states = configuration.initialStates {
            precondition(states.count == chains, "one initial state (or nil) per chain")
        }
        return try run(chainRange: 0..<chains, makeSimulator: makeSimulator, progress: progress)
    }

    /// `a · b`, or `Int.max` when it overflows.
    static func saturatingProduct(_ a: Int, _ b: Int) -> Int {
        let product = a.multipliedReportingOverflow(by: b)
        return product.overflow ? Int.max : product.partialValue
    }

    /// Runs the chains `chainRange` of a larger set (the part of one process in a run split between
    /// processes), each exactly as in a run of all chains: chain *c* uses the streams and initial state of
    /// chain *c*.
    ///
    /// - Parameters:
    ///   - chainRange: the chains to run; each runs on a thread of its own.
    ///   - makeSimulator: creates chain *c*'s simulator (called with *c*, not its position in the range).
    ///   - progress: called now and then with the proposals made so far by these chains.
    ///   - onTrace: called with every trace the chains execute (initial, proposed, replayed), on the chain's
    ///     thread; an error it throws stops the chains like a simulator's.
    /// - Returns: the draws, statistics and final states of these chains, in order; an error's chain is *c*.
    /// - Throws: as ``run(chains:makeSimulator:progress:)``.
    /// - Precondition: `chainRange` is not empty and starts at 0 or above; `initialStates`, if given, has an
    ///   element for every chain of the range.
    public func run(
        chainRange: Range<Int>, makeSimulator: @escaping @Sendable (Int) throws -> any Simulator,
        progress: (@Sendable (RunProgress) -> Void)? = nil, onTrace: (@Sendable (Trace) throws -> Void)? = nil
    ) throws -> MCMCOutput {
        precondition(!chainRange.isEmpty && chainRange.lowerBound >= 0, "invalid chain range")
        if let states = configuration.initialStates {
            precondition(states.count >= chainRange.upperBound, "one initial state (or nil) per chain")
        }
        let chains = chainRange.count
        let results = Mutex([ChainResult?](repeating: nil, count: chains))
        let firstError = Mutex<(chain: Int, error: any Error)?>(nil)
        let stopped = Atomic<Bool>(false)
        let completed = Atomic<Int>(0)
        // Totals for progress only: saturated, since a request too long to finish must not trap here.
        let perChain = configuration.burnIn.addingReportingOverflow(configuration.steps)
        let total = perChain.overflow ? Int.max : Self.saturatingProduct(chains, perChain.partialValue)
        let burnInTotal = Self.saturatingProduct(chains, configuration.burnIn)
        let work: @Sendable (Int) -> Void = { position in
            let chain = chainRange.lowerBound + position
            var runner = ChainRunner(chain: chain, configuration: self.configuration, onTrace: onTrace)
            do {
                var simulator = try makeSimulator(chain)
                defer { runner.result.modelName = simulator.modelName }
                do {
                    try runner.run(simulator: &simulator, isStopped: { stopped.load(ordering: .relaxed) }) { done in
                        let sum = completed.add(done, ordering: .relaxed).newValue
                        // Burn-in until the chains together have made their burn-in proposals.
                        progress?(
                            RunProgress(
                                phase: sum < burnInTotal ? .burnIn : .sampling, unit: "proposals", completed: sum,
                                total: total))
                    }
                } catch {
                    runner.result.statistics.restarts = simulator.restartCount
                    throw error
                }
                runner.result.statistics.restarts = simulator.restartCount
            } catch {
                stopped.store(true, ordering: .relaxed)
                firstError.withLock { first in
                    if first == nil { first = (chain, error) }
                }
            }
            runner.recordFinalState()
            let result = runner.result
            results.withLock { $0[position] = result }
        }
        runOnWorkerThreads(chains, work)
        let finished = results.withLock { $0.map { $0! } }  // every chain stored its result before leaving
        let output = MCMCOutput(
            chainSet: ChainSet(
                chains: finished.map(\.store), statistics: finished.map(\.statistics),
                logJoints: finished.map(\.logJoints)),
            finalStates: finished.map(\.finalState),
            modelName: finished.first { !$0.modelName.isEmpty }?.modelName ?? "",
            notes: finished.flatMap(\.notes))
        if let (chain, error) = firstError.withLock({ $0 }) {
            throw MCMCFailure(chain: chain, underlying: error, partial: output)
        }
        return output
    }
}

/// What an MCMC run produced.
public struct MCMCOutput: Sendable {
    /// Every chain's kept draws and statistics.
    public var chainSet: ChainSet
    /// Every chain's last state, `nil` for a chain that never had one (it failed before its initial trace).
    public var finalStates: [ChainState?]
    /// The model name the simulators reported.
    public var modelName: String
    /// Warnings worth showing the user (for example a resumed state that did not replay exactly).
    public var notes: [String]

    /// Creates an output from its parts.
    public init(chainSet: ChainSet, finalStates: [ChainState?], modelName: String, notes: [String] = []) {
        self.chainSet = chainSet
        self.finalStates = finalStates
        self.modelName = modelName
        self.notes = notes
    }

    /// All chains' kept draws pooled with equal weights.
    public var pooledPosterior: Posterior {
        var pooled = TraceStore()
        for chain in chainSet.chains { pooled.append(contentsOf: chain) }
        return Posterior(store: pooled, weighting: .uniform)
    }
}

/// An MCMC run that stopped on an error, with everything the chains did until then.
public struct MCMCFailure: Error, CustomStringConvertible {
    /// The chain that met the error first.
    public var chain: Int
    /// The error.
    public var underlying: any Error
    /// The draws, statistics and states collected before the chains stopped.
    public var partial: MCMCOutput

    /// Creates a failure of `chain` with what the chains did until they stopped.
    public init(chain: Int, underlying: any Error, partial: MCMCOutput) {
        self.chain = chain
        self.underlying = underlying
        self.partial = partial
    }

    /// A one-line message naming the chain.
    public var description: String { "chain \(chain): \(underlying)" }
}

/// One chain's results.
private struct ChainResult: Sendable {
    var store = TraceStore()
    var logJoints: [Double] = []
    var statistics = ChainStatistics()
    var finalState: ChainState?
    var modelName = ""
    var notes: [String] = []
}

/// An error with a message, for conditions found by the engine itself.
public struct MCMCError: Error, Equatable, CustomStringConvertible {
    /// A one-line message.
    public var description: String
}

/// Runs one chain on the calling thread.
private struct ChainRunner {
    let chain: Int
    let configuration: MetropolisHastings.Configuration
    let policy: ReuseProposal
    let onTrace: (@Sendable (Trace) throws -> Void)?
    var execution: TraceExecution
    /// The independence move's execution (proposing whole traces from its ``TraceProposal``) and a copy of the
    /// proposal that scores the current state; `nil` without an independence move.
    var independent: (execution: TraceExecution, scorer: any TraceProposal)?
    /// `log w(x) = log p(x, y) − log q(x)` of the current state under the independence proposal, once known; reset
    /// when a single-site move changes the state.
    var currentLogWeight: Double?
    var result = ChainResult()
    /// Proposals made so far, including those of earlier runs of a resumed chain.
    var steps = 0
    /// Whether the chain has a current state.
    private var hasState = false

    init(chain: Int, configuration: MetropolisHastings.Configuration, onTrace: (@Sendable (Trace) throws -> Void)?) {
        self.chain = chain
        self.configuration = configuration
        self.onTrace = onTrace
        switch configuration.kernel {
        case .lightweight: policy = ReuseProposal(siteKernel: .prior)
        case .randomWalk(let stepSize): policy = ReuseProposal(siteKernel: .randomWalk(stepSize: stepSize))
        }
        execution = TraceExecution(
            observations: configuration.observations, mode: .posterior, policy: policy,
            generator: Xoshiro256StarStar(seed: configuration.seed, stream: 0))
        result.store.reserveCapacity(traceCount: configuration.drawsPerChain)
    }

    mutating func run(
        simulator: inout any Simulator, isStopped: () -> Bool, progress: (Int) -> Void
    ) throws {
        if let move = configuration.independence {
            let proposal = try move.makeProposal(configuration.observations)
            independent = (
                TraceExecution(
                    observations: configuration.observations, mode: .posterior, policy: proposal,
                    generator: Xoshiro256StarStar(seed: configuration.seed, stream: 0)),
                proposal
            )
        }
        try start(simulator: &simulator)
        let total = configuration.burnIn + configuration.steps
        var unreported = 0
        for step in 0..<total {
            if isStopped() { break }
            try propose(simulator: &simulator)
            let kept = step - configuration.burnIn
            if kept >= 0 && kept % configuration.thin == 0 {
                result.store.append(policy.current)
                result.logJoints.append(policy.current.logPrior + policy.current.logLikelihood)
            }
            unreported += 1
            if unreported == 64 || step == total - 1 {
                progress(unreported)
                unreported = 0
            }
        }
    }

    /// Runs `body` with a fresh copy of the stream, again after each recoverable simulator failure.
    private mutating func withRetries(
        stream: UInt64, simulator: inout any Simulator, isIndependent: Bool = false,
        _ body: (inout Xoshiro256StarStar) -> Void
    ) throws -> Trace {
        var failures = 0
        while true {
            var generator = Xoshiro256StarStar(seed: configuration.seed, stream: stream)
            body(&generator)
            do {
                if isIndependent, var pair = independent {
                    defer { independent = pair }
                    pair.execution.restart(generator: generator)
                    let value = try simulator.run(&pair.execution)
                    return pair.execution.finish(result: value)
                }
                execution.restart(generator: generator)
                let value = try simulator.run(&execution)
                let trace = execution.finish(result: value)
                try onTrace?(trace)
                return trace
            } catch let failure as SimulatorFailure where failure.isRecoverable {
                result.statistics.discardedProposals += 1
                failures += 1
                guard failures < max(configuration.maxConsecutiveFailures, 1) else {
                    throw RepeatedFailure(failure: failure, attempts: failures)
                }
            }
        }
    }

    /// Sets the initial state: a replayed saved state, or the first prior trace with positive likelihood.
    private mutating func start(simulator: inout any Simulator) throws {
        if let saved = configuration.initialStates?[chain] {
            steps = saved.steps
            policy.setCurrent(saved.replayTrace)
            policy.begin(siteEntry: nil)
            let trace = try withRetries(
                stream: MetropolisHastings.initialStream(chain: chain, attempt: 0), simulator: &simulator
            ) { _ in }
            let controlled = trace.entries.count(where: { $0.kind == .sample && $0.isControlled })
            if policy.reusedCount != saved.entries.count || controlled != saved.entries.count {
                result.notes.append(
                    "chain \(chain): the saved state did not replay exactly (\(policy.reusedCount) of "
                        + "\(saved.entries.count) saved values reused, \(controlled) controlled samples now)")
            }
            guard trace.logLikelihood > -.infinity else {
                throw MCMCError(
                    description: "the saved state of chain \(chain) has zero likelihood (log \(trace.logLikelihood))")
            }
            try accept(initial: trace)
            return
        }
        policy.setCurrent(Trace())
        for attempt in 0..<configuration.maxInitialAttempts {
            policy.begin(siteEntry: nil)
            let trace = try withRetries(
                stream: MetropolisHastings.initialStream(chain: chain, attempt: attempt), simulator: &simulator
            ) { _ in }
            if trace.logLikelihood > -.infinity {
                try accept(initial: trace)
                return
            }
        }
        throw MCMCError(
            description: "chain \(chain): none of \(configuration.maxInitialAttempts) traces from the prior has "
                + "positive likelihood; give a starting point with --initial-trace")
    }

    private mutating func accept(initial trace: Trace) throws {
        policy.setCurrent(trace)
        currentLogWeight = nil
        guard !policy.controlledIndices.isEmpty else {
            throw MCMCError(
                description: "the model's traces have no controlled samples: there is nothing for MCMC to move")
        }
        hasState = true
    }

    /// Records the chain's last state, if it has one.
    mutating func recordFinalState() {
        if hasState { result.finalState = ChainState(trace: policy.current, steps: steps) }
    }

    /// Makes one proposal and accepts or rejects it.
    private mutating func propose(simulator: inout any Simulator) throws {
        let stream = MetropolisHastings.proposalStream(chain: chain, step: steps)
        let move = configuration.independence
        if let move {
            var generator = Xoshiro256StarStar(seed: configuration.seed, stream: stream)
            if generator.nextUniform() < move.probability {
                try proposeIndependent(simulator: &simulator, stream: stream)
                return
            }
        }
        let policy = self.policy
        let currentControlled = policy.controlledIndices.count
        var siteEntry = 0
        let candidate = try withRetries(stream: stream, simulator: &simulator) { generator in
            // The kernel choice's uniform, drawn first when an independence move is mixed in.
            if move != nil { _ = generator.nextUniform() }
            siteEntry = policy.controlledIndices[Int.random(in: 0..<currentControlled, using: &generator)]
            policy.begin(siteEntry: siteEntry)
        }
        steps += 1
        let siteAddress = policy.current.entries[siteEntry].address
        let candidateControlled = candidate.entries.count(where: { $0.kind == .sample && $0.isControlled })
        var logAlpha =
            candidate.logLikelihood - policy.current.logLikelihood + policy.reusedLogRatio
            + policy.siteTerm
        if configuration.includesTraceSizeCorrection {
            logAlpha += Foundation.log(Double(currentControlled)) - Foundation.log(Double(candidateControlled))
        }
        // The reverse move needs the same site in the candidate, and must be able to redraw every value it
        // would otherwise reuse.
        let isPossible = policy.reachedSite && !policy.isIrreversible && candidateControlled > 0
        let logU = Foundation.log(execution.generator.nextOpenUniform())
        let isAccepted = isPossible && logU < logAlpha
        record(
            proposalAt: siteAddress, controlled: candidateControlled, reused: policy.reusedCount,
            accepting: isAccepted ? candidate : nil, logWeight: nil)
    }

    /// Counts a move proposed at `key` and, when `candidate` is given (accepted), makes it the chain's state,
    /// whose log weight under the independence proposal is then `logWeight` (`nil`: not yet scored).
    private mutating func record(
        proposalAt key: String, controlled: Int, reused: Int, accepting candidate: Trace?, logWeight: Double?
    ) {
        result.statistics.proposals += 1
        result.statistics.proposalsByAddress[key, default: 0] += 1
        result.statistics.reusedSamples += reused
        result.statistics.controlledSamples += controlled
        guard var candidate else { return }
        result.statistics.accepted += 1
        result.statistics.acceptedByAddress[key, default: 0] += 1
        candidate.logWeight = 0
        policy.setCurrent(candidate)
        currentLogWeight = logWeight
    }

    /// Makes one independence move: a whole trace from the proposal, accepted with probability
    /// `min(1, w(x′) / w(x))` (``IndependenceMove``, docs/mcmc.md).
    private mutating func proposeIndependent(simulator: inout any Simulator, stream: UInt64) throws {
        if currentLogWeight == nil, var pair = independent {
            let current = policy.current
            currentLogWeight = current.logPrior + current.logLikelihood - pair.scorer.logDensity(of: current)
            independent = pair
        }
        let candidate = try withRetries(stream: stream, simulator: &simulator, isIndependent: true) { generator in
            _ = generator.nextUniform()
        }
        steps += 1
        // The candidate's log weight is Σ (log p − log q) over its controlled draws plus its log likelihood.
        let candidateLogWeight = candidate.logWeight
        let candidateControlled = candidate.entries.count(where: { $0.kind == .sample && $0.isControlled })
        let logAlpha = candidateLogWeight - (currentLogWeight ?? .nan)
        // The accept test's uniform continues the candidate's stream, as in a single-site move.
        guard var acceptance = independent?.execution.generator else { return }
        let logU = Foundation.log(acceptance.nextOpenUniform())
        // A candidate without controlled draws leaves nothing for the single-site moves; NaN ratios reject.
        let isAccepted = candidateControlled > 0 && candidate.logLikelihood > -.infinity && logU < logAlpha
        record(
            proposalAt: IndependenceMove.statisticsKey, controlled: candidateControlled, reused: 0,
            accepting: isAccepted ? candidate : nil, logWeight: candidateLogWeight)
    }
}
