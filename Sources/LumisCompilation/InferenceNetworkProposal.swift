import Foundation
public import LumisCore
import LumisDistributions
public import LumisInference
import Synchronization

/// A trained inference network as the proposal of importance sampling: `lumis infer --engine ic` is
/// ``InferenceRun`` with `.importance(proposal: .network(InferenceNetworkProposal(network)))`.
///
/// Each worker gets a ``CompiledProposal``; with several workers their LSTM steps can run as one batch (issue 4
/// item 10) through an ``LSTMBatcher`` made per run. Made from a file, the network is read (network only, no
/// trainer) by ``check(observations:)``, after the run has checked its outputs.
public final class InferenceNetworkProposal: GuidingNetworkProposal {
    /// The network file to read, or `nil` when the network was given.
    public let path: String?
    /// The network once given or read, with what identifies it.
    private let loaded: Mutex<(network: SharedNetwork, record: MCMCSummary.NetworkRecord)?>
    /// Whether the workers' LSTM steps run as one batch (only matters with several workers).
    public let batchesProposals: Bool
    /// How many LSTM batches may be computed at once; `nil` for the run's share of the cores, so batching never
    /// costs parallelism.
    public let batchConcurrency: Int?
    /// The most recent run's batcher, for its statistics.
    private let batcher = Mutex<LSTMBatcher?>(nil)

    /// Wraps `network`; with `batchesProposals`, several workers' LSTM steps run as one batch, at most
    /// `batchConcurrency` batches at once.
    public init(network: SharedNetwork, batchesProposals: Bool = true, batchConcurrency: Int? = nil) {
        self.path = nil
        let record = MCMCSummary.NetworkRecord(
            file: nil, model: network.network.signature.model, tracesSeen: nil, checksum: nil)
        self.loaded = Mutex((network, record))
        self.batchesProposals = batchesProposals
        self.batchConcurrency = batchConcurrency
    }

    /// The network of the file at `path`, read by ``check(observations:)``.
    public init(contentsOfFile path: String, batchesProposals: Bool = true) {
        self.path = path
        self.loaded = Mutex(nil)
        self.batchesProposals = batchesProposals
        self.batchConcurrency = nil
    }

    /// The network of the file at `path`, read now, so that a bad file is reported before any simulator starts;
    /// its ``record`` names the file as ``init(contentsOfFile:batchesProposals:)``'s does.
    ///
    /// - Throws: ``NetworkFileError`` for a file that cannot be read as a network.
    public init(readingFile path: String, batchesProposals: Bool = true) throws(NetworkFileError) {
        self.path = nil
        self.loaded = Mutex(try Self.read(path))
        self.batchesProposals = batchesProposals
        self.batchConcurrency = nil
    }

    /// Reads the network file at `path` with what identifies it.
    private static func read(
        _ path: String
    ) throws(NetworkFileError) -> (network: SharedNetwork, record: MCMCSummary.NetworkRecord) {
        let (network, tracesSeen, checksum) = try NetworkFile.readNetworkIdentified(from: path)
        let record = MCMCSummary.NetworkRecord(
            file: URL(fileURLWithPath: path).lastPathComponent, model: network.signature.model,
            tracesSeen: tracesSeen, checksum: String(format: "%016llx", checksum))
        return (SharedNetwork(network), record)
    }

    /// The network.
    ///
    /// - Precondition: given, or read by ``check(observations:)``.
    public var network: SharedNetwork {
        guard let network = loaded.withLock({ $0?.network }) else {
            preconditionFailure("the network file was not read yet")
        }
        return network
    }

    /// What a guided MCMC posterior file records of the network: the file's name, model, traces seen and checksum.
    ///
    /// - Precondition: given, or read by ``check(observations:)``.
    public var record: MCMCSummary.NetworkRecord {
        guard let record = loaded.withLock({ $0?.record }) else {
            preconditionFailure("the network file was not read yet")
        }
        return record
    }

    /// Proposal heads in the network.
    public var addressCount: Int { network.network.addresses.count }

    /// Reads the network file (once), then refuses observations that lack a value the network embeds, or have
    /// another shape than the network was trained on.
    ///
    /// - Throws: ``NetworkFileError`` for a file that cannot be read as a network, ``CompiledInferenceError``,
    ///   ``NetworkMismatch/observationShape(name:network:given:)``.
    public func check(observations: ObservationSet) throws {
        if let path, loaded.withLock({ $0 == nil }) {
            let read = try Self.read(path)
            loaded.withLock { $0 = read }
        }
        _ = try CompiledProposal(network: network, observations: observations)
    }

    /// One chain's ``CompiledProposal`` (unbatched: each chain runs its own steps).
    public func traceProposal(observations: ObservationSet) throws -> any TraceProposal {
        try CompiledProposal(network: network, observations: observations)
    }

    /// Simulators whose model name is checked against the network's before their first trace (a PPX simulator
    /// is connected first): another model throws ``NetworkMismatch/model(network:simulator:)``.
    public func checkedSimulators(
        _ makeSimulator: @escaping @Sendable (Int) throws -> any Simulator
    ) -> @Sendable (Int) throws -> any Simulator {
        SignatureCheckingSimulator.wrap(makeSimulator, signature: network.network.signature)
    }

    /// A ``CompiledProposal`` per worker; batched when asked and there are several workers.
    public func policies(
        observations: ObservationSet, workers: Int, concurrency: Int
    ) -> @Sendable () -> any ProposalPolicy {
        let network = self.network
        let batcher =
            batchesProposals && workers > 1
            ? LSTMBatcher(network: network, concurrency: max(batchConcurrency ?? concurrency, 1)) : nil
        self.batcher.withLock { $0 = batcher }
        return {
            // Checked before the run (``check(observations:)``), so this cannot throw; a fallback keeps the
            // factory total.
            if let policy = try? CompiledProposal(network: network, observations: observations, batcher: batcher) {
                return policy
            }
            return PriorProposal()
        }
    }

    /// The draw's address key when the network has no usable head for it.
    public func fallbackKey(for entry: Trace.Entry) -> String? {
        guard let prior = entry.distribution else { return nil }
        let key = AddressKey(address: entry.address, instance: entry.instance, kind: prior.kind)
        return network.network.usableEntry(for: key, prior: prior) == nil ? key.description : nil
    }

    /// With batched proposals, the most recent run's LSTM steps, the batches they ran in, and the largest batch;
    /// `nil` when that run did not batch.
    public var batching: (steps: Int, batches: Int, largestBatch: Int)? {
        batcher.withLock { $0?.statistics }
    }
}

/// A simulator of another model than the network's ends a run, MCMC's included, with nothing written.
extension NetworkMismatch: RunRefusal {}
