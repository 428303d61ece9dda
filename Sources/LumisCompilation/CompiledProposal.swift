public import LumisCore
public import LumisDistributions
public import LumisInference
import LumisNeural
import LumisProposals
public import LumisTensor

/// A trained network shared read-only by the worker threads of an inference run.
///
/// Invariant: nobody mutates the network while a handle to it is in use; forward passes only read parameters,
/// so concurrent reads from several workers are safe.
public final class SharedNetwork: @unchecked Sendable {
    /// The network.
    public let network: InferenceNetwork

    /// Wraps `network`; the caller promises not to change it while the handle is in use.
    public init(_ network: InferenceNetwork) { self.network = network }
}

/// Importance sampling with an inference network as proposal (pyprob, docs/reference/pyprob-engine.md §2.5): runs the
/// LSTM along the trace, one step per controlled draw, and draws each controlled value from its address's proposal
/// head.
///
/// A draw whose address the network has never seen (or whose prior does not fit its head, or whose head gives
/// non-finite outputs) is drawn from the prior for that draw only; the LSTM still consumes it, with zero address
/// and value embeddings, so later known addresses keep their proposals (pyprob falls back for the rest of the
/// trace). The weight term of a proposed draw is `log p(x) − log q(x)`.
public struct CompiledProposal: ProposalPolicy {
    private let shared: SharedNetwork
    /// The observation embedding's share of the LSTM gates, projected once for the run (``LSTM/Hoisted``).
    private let hoisted: LSTM.Hoisted
    private var state: LSTM.State
    private var input: Matrix
    private var previous: (entry: Int?, kind: DistributionKind, value: Tensor, prior: Distribution)?
    /// With a batcher, the LSTM state lives in the batcher's `slot` and steps run batched with other workers'.
    private let batcher: LSTMBatcher?
    private let slot: Int
    private var batchedHidden = Matrix(zeros: 1, 0)

    /// Creates the policy for one worker.
    ///
    /// - Throws: ``CompiledInferenceError/missingObservation(name:)`` if `observations` lack a value the network
    ///   embeds; ``NetworkMismatch/observationShape(name:network:given:)`` if a value has another shape than the
    ///   network was trained on.
    public init(network shared: SharedNetwork, observations: ObservationSet) throws {
        try self.init(network: shared, observations: observations, batcher: nil)
    }

    /// Creates the policy for one worker; with `batcher`, its LSTM steps are batched with other workers'.
    init(network shared: SharedNetwork, observations: ObservationSet, batcher: LSTMBatcher?) throws {
        let network = shared.network
        self.shared = shared
        self.batcher = batcher
        try network.signature.checkShapes(of: observations, embedded: network.configuration.observations)
        var inputs: [Matrix] = []
        for spec in network.configuration.observations {
            // Checked above: an embedded value has the spec's shape, so its element count.
            guard let value = observations[spec.name] else {
                throw CompiledInferenceError.missingObservation(name: spec.name)
            }
            inputs.append(Matrix(rows: 1, columns: spec.elementCount, scalars: Array(value.scalars)))
        }
        let observed = network.observationEmbedding.forward(inputs, store: network.store).0
        hoisted = network.lstm.hoist(observed, store: network.store)
        slot = batcher?.register(hoisted: hoisted.gates.scalars) ?? -1
        state = network.lstm.zeroState(batch: 1)
        input = Matrix(zeros: 1, network.configuration.lstmInput - hoisted.columns)
    }

    /// Resets the LSTM state: a new trace starts.
    public mutating func startTrace() {
        if let batcher {
            batcher.reset(slot)
        } else {
            state = shared.network.lstm.zeroState(batch: 1)
        }
        previous = nil
    }

    /// Proposes a value for a controlled draw and returns it with `log p(x) − log q(x)`.
    public mutating func choose(
        at site: Site, prior: Distribution, using generator: inout Xoshiro256StarStar
    ) throws -> (value: Tensor, logWeight: Double) {
        let (entryIndex, proposal) = step(at: site, prior: prior)
        var chosen: (Tensor, Double)?
        if let proposal {
            let value = proposal.sample(using: &generator)
            let logQ = proposal.logProb(of: value)
            if logQ.isFinite { chosen = (value, prior.logProb(of: value) - logQ) }
        }
        let usable = chosen == nil ? nil : entryIndex
        let (value, logWeight) = chosen ?? (prior.sample(using: &generator), 0)
        previous = (usable, prior.kind, value, prior)
        return (value, logWeight)
    }

    /// The log density `log q(x)` of `trace`'s controlled draws under the proposal.
    ///
    /// The LSTM is run along the
    /// trace with its recorded values, and each draw contributes its head's proposal density at the recorded
    /// value, or its prior's where ``choose(at:prior:using:)`` would draw from the prior (no usable head, or
    /// non-finite head outputs). It is the density of the whole trace as ``choose(at:prior:using:)`` proposes it,
    /// whatever the trace's structure, except for the measure-zero event of a proposed value with non-finite
    /// density (then redrawn from the prior). Uncontrolled draws are not counted: they come from the prior in
    /// both the model and the proposal.
    ///
    /// Resets the LSTM state before and after, as a new trace does.
    public mutating func logDensity(of trace: Trace) -> Double {
        startTrace()
        defer { startTrace() }
        var total = 0.0
        for entry in trace.entries where entry.kind == .sample && entry.isControlled {
            guard let prior = entry.distribution else { continue }
            let (entryIndex, proposal) = step(at: entry.site, prior: prior)
            total += proposal?.logProb(of: entry.value) ?? prior.logProb(of: entry.value)
            previous = (proposal == nil ? nil : entryIndex, prior.kind, entry.value, prior)
        }
        return total
    }

    /// Runs the LSTM one step for a draw at `site` and returns the address's head index and its proposal, or no
    /// proposal where the draw falls back to the prior.
    private mutating func step(at site: Site, prior: Distribution) -> (entry: Int?, proposal: Proposal?) {
        let network = shared.network
        let key = AddressKey(address: site.address, instance: site.instance, kind: prior.kind)
        let entryIndex = network.entryIndex[key]
        // Nothing below blocks or throws before the step, as the batcher's prepare requires.
        batcher?.prepare(slot)
        for i in input.scalars.indices { input.scalars[i] = 0 }
        let offset = hoisted.columns
        if let previous {
            if let index = previous.entry {
                let entry = network.entries[index]
                var features = Matrix(zeros: 1, entry.featureCount)
                features.scalars.withUnsafeMutableBufferPointer { buffer in
                    ValueFeatures.write(previous.value, prior: previous.prior, into: buffer)
                }
                let embedded = Activation.relu.forward(entry.valueEmbedding.forward(features, store: network.store))
                input.copyColumns(from: embedded, to: network.previousValueColumn - offset)
                network.broadcast(entry.embedding, into: &input, column: network.previousAddressColumn - offset)
            }
            network.broadcast(
                network.kindRange(previous.kind), into: &input, column: network.previousKindColumn - offset)
        }
        network.broadcast(network.kindRange(key.kind), into: &input, column: network.currentKindColumn - offset)
        if let entryIndex {
            network.broadcast(
                network.entries[entryIndex].embedding, into: &input, column: network.currentAddressColumn - offset)
        }
        let hidden: Matrix
        if let batcher {
            batcher.step(slot, input: input, output: &batchedHidden)
            hidden = batchedHidden
        } else {
            hidden = network.lstm.step(input, hoisted: hoisted, state: &state, store: network.store)
        }
        guard let index = network.usableEntry(for: key, prior: prior) else { return (entryIndex, nil) }
        let entry = network.entries[index]
        let family = ProposalFamily(prior: prior, components: network.configuration.components)
        let raw = entry.head.forward(hidden, store: network.store)
        guard raw.scalars.allSatisfy(\.isFinite) else { return (entryIndex, nil) }
        return (entryIndex, raw.scalars.withUnsafeBufferPointer { family.proposal(raw: $0, prior: prior) })
    }
}

extension Distribution {
    /// Whether a draw is one number (the proposals handle scalar draws; tensor-valued priors fall back).
    var isScalarValued: Bool {
        switch self {
        case .categorical(let probs): probs.shape.count <= 1
        default: parameters.allSatisfy { $0.scalarCount == 1 }
        }
    }
}

/// Errors of inference with a network.
public enum CompiledInferenceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The network embeds an observation that was not given.
    case missingObservation(name: String)

    /// A one-line message.
    public var description: String {
        switch self {
        case .missingObservation(let name):
            "the network embeds observation \(name): give it with --observe \(name)=VALUE"
        }
    }
}

extension CompiledProposal: TraceProposal {}
