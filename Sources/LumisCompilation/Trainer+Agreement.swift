import Foundation
import LumisDistributed
import LumisNeural
import LumisProposals
import LumisStorage

/// The collectives that keep data-parallel ranks identical (docs/distributed.md).
extension Trainer {
    /// What the ranks agreed after computing their parts of a step's gradient.
    struct StepAgreement {
        /// The whole minibatch's `Σ log q`; `nil` if a term on some rank was not finite (the step is skipped).
        var sumLogProposal: Double?
        /// Whether to write a checkpoint after this step (rank 0's decision).
        var checkpoint: Bool
    }

    /// The heads a single process would create for `examples`, in creation order (as ``InferenceNetwork/polymorph(_:)``
    /// would: first appearance, skipping priors without a proposal family).
    func newHeads(_ examples: [TrainingExample]) -> [InferenceNetwork.AddressRecord] {
        var seen: Set<AddressKey> = []
        var records: [InferenceNetwork.AddressRecord] = []
        for example in examples {
            for (key, prior) in zip(example.keys, example.priors) where !network.contains(key) && !seen.contains(key) {
                let family = ProposalFamily(prior: prior, components: network.configuration.components)
                guard family.rawCount > 0 else { continue }
                seen.insert(key)
                records.append(
                    InferenceNetwork.AddressRecord(
                        key: key, featureCount: ValueFeatures.count(for: prior), rawCount: family.rawCount,
                        trainingCount: 0))
            }
        }
        return records
    }

    /// Whether `examples` have an address without a head.
    func hasNewAddresses(_ examples: [TrainingExample]) -> Bool { !newHeads(examples).isEmpty }

    /// Creates heads for the new addresses of every rank's `examples`, on every rank.
    ///
    /// Merged in rank order keeping first appearance: the order one process holding all the ranks' examples (rank 0's first) would create them, so
    /// parameter layouts match across ranks and with a one-process run. A collective: every rank calls it.
    func agreeOnHeads(for examples: [TrainingExample], communicationSeconds: inout Double) throws {
        guard communicator.usesMPI else {
            network.polymorph(examples)
            return
        }
        // Encoding plain structs of numbers and strings cannot fail; a failure is a programming error.
        guard let payload = try? JSONValue(encoding: newHeads(examples)).text else {
            preconditionFailure("address records not encodable")
        }
        let all = try timed(&communicationSeconds) { try communicator.allgather(Array(payload.utf8)) }
        for (rank, bytes) in all.enumerated() {
            guard let records = try? JSONValue.parse(bytes).decode([InferenceNetwork.AddressRecord].self)
            else { throw RankDivergence(description: "rank \(rank) sent an unreadable list of new addresses") }
            for record in records where !network.contains(record.key) {
                network.addAddress(record.key, featureCount: record.featureCount, rawCount: record.rawCount)
            }
        }
    }

    /// Sums the step's loss, per-address training counts, non-finite flags and gradients over the ranks.
    ///
    /// Rank 0's `wantsCheckpoint` becomes everyone's. On a skipped step the training counts are restored to
    /// `countsBefore` on every rank (one process would not have counted the batch either).
    func agreeOnStep(
        _ outcome: InferenceNetwork.LossOutcome, countsBefore: [Int], wantsCheckpoint: Bool,
        communicationSeconds: inout Double, allreduceSeconds: inout Double
    ) throws -> StepAgreement {
        guard communicator.usesMPI else {
            return StepAgreement(sumLogProposal: outcome.sumLogProposal, checkpoint: wantsCheckpoint)
        }
        let heads = countsBefore.count
        precondition(network.trainingCounts.count == heads, "heads changed during a step")
        var message = [Double](repeating: 0, count: 3 + heads)
        message[0] = outcome.sumLogProposal ?? 0
        message[1] = outcome.sumLogProposal == nil ? 1 : 0
        message[2] = wantsCheckpoint ? 1 : 0
        // Counts are exact in a Double below 2^53.
        for i in 0..<heads { message[3 + i] = Double(network.trainingCounts[i] - countsBefore[i]) }
        try timed(&communicationSeconds) { try communicator.allreduceSum(&message) }
        let finite = message[1] == 0
        for i in 0..<heads { network.trainingCounts[i] = countsBefore[i] + (finite ? Int(message[3 + i]) : 0) }
        if finite {
            var seconds = 0.0
            try timed(&seconds) {
                // One flat buffer in the store's precision: float32 training sends half the bytes.
                try network.store.withGradients { gradients in
                    if gradients.isFloat32 {
                        try communicator.allreduceSum(gradients.float32)
                    } else {
                        try communicator.allreduceSum(gradients.float64)
                    }
                }
            }
            communicationSeconds += seconds
            allreduceSeconds += seconds
        }
        return StepAgreement(sumLogProposal: finite ? message[0] : nil, checkpoint: message[2] > 0)
    }

    /// After SIGINT or SIGTERM (a batch system's preemption), saves the state after the last whole step, so a
    /// resumed run loses at most the minibatch that was being gathered.
    ///
    /// In a single process; under MPI the ranks see the signal at different moments, so they agree on stopping in
    /// the next step's first allreduce and save the checkpoint together (``saveCheckpoint(_:)``).
    func checkpointBeforeStopping(_ checkpoint: ((Trainer) throws -> Void)?) throws {
        try checkpoint?(self)
    }

    /// Checks that every rank holds the same network and state, then lets rank 0 write `checkpoint`.
    ///
    /// - Returns: the number of ranks checked.
    @discardableResult
    func saveCheckpoint(_ checkpoint: ((Trainer) throws -> Void)?) throws -> Int {
        let ranks = try verifyIdenticalAcrossRanks()
        if communicator.isRoot { try checkpoint?(self) }
        return ranks
    }

    /// Checks that every rank holds rank 0's network: a collective.
    ///
    /// Compares FNV-1a hashes of every rank's parameters and of its whole network file (optimizer state, address
    /// table, training counts and state) with rank 0's.
    ///
    /// - Returns: the number of ranks, all identical.
    /// - Throws: ``RankDivergence`` naming the ranks that differ and what differs.
    public func verifyIdenticalAcrossRanks() throws -> Int {
        guard communicator.usesMPI else { return 1 }
        let parameters = network.store.withValues { values in
            values.isFloat32
                ? fnv1a64(UnsafeRawBufferPointer(values.float32)) : fnv1a64(UnsafeRawBufferPointer(values.float64))
        }
        let file = fnv1a64(NetworkFile.encode(self))
        var hashes = ByteWriter()
        hashes.write(parameters)
        hashes.write(file)
        let all = try communicator.allgather(hashes.bytes)
        let differing = all.indices.filter { all[$0] != all[0] }
        guard differing.isEmpty else {
            let what =
                differing.contains { all[$0].prefix(8) != all[0].prefix(8) }
                ? "parameters" : "optimizer or training state"
            throw RankDivergence(
                description: "ranks \(differing.map(String.init).joined(separator: ", ")) hold other \(what) than "
                    + "rank 0 after \(state.iterations) steps (data-parallel training must keep them identical)")
        }
        return all.count
    }

    /// Runs `body`, adding its wall time to `seconds`.
    func timed<T>(_ seconds: inout Double, _ body: () throws -> T) rethrows -> T {
        let clock = ContinuousClock()
        let start = clock.now
        defer { seconds += (clock.now - start) / .seconds(1) }
        return try body()
    }
}
