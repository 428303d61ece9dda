public import LumisDistributions
import LumisNeural
import LumisProposals
import LumisTensor

extension InferenceNetwork {
    /// The result of evaluating the loss on a batch.
    public struct LossOutcome: Sendable {
        /// `Σ` over the traces of `Σ_t log q(x_t | y, x_<t)`; `nil` if some term was not finite.
        public var sumLogProposal: Double?
        /// The first draw whose log proposal density was not finite, with its value.
        public var nonFinite: (key: AddressKey, value: Double)?
        /// How many sub-batches (distinct address sequences) the batch had.
        public var subBatches: Int
    }

    /// Adds heads for every address in `examples` that has none yet.
    ///
    /// - Returns: how many were added.
    @discardableResult
    public func polymorph(_ examples: [TrainingExample]) -> Int {
        var added = 0
        for example in examples {
            for (key, prior) in zip(example.keys, example.priors) where addAddress(key, prior: prior) { added += 1 }
        }
        return added
    }

    /// Adds heads for controlled draws known before training (a dataset's trace types, each with a representative
    /// prior), in order, skipping tensor-valued draws (which training rejects) and addresses that have heads.
    ///
    /// - Returns: how many were added.
    @discardableResult
    public func addHeads(for draws: [(key: AddressKey, prior: Distribution)]) -> Int {
        var added = 0
        for (key, prior) in draws where prior.isScalarValued && addAddress(key, prior: prior) { added += 1 }
        return added
    }

    /// Groups `examples` by address sequence, keeping first-appearance order.
    static func subBatches(_ examples: [TrainingExample]) -> [[Int]] {
        var groups: [[AddressKey]: Int] = [:]
        var result: [[Int]] = []
        for (i, example) in examples.enumerated() {
            if let group = groups[example.keys] {
                result[group].append(i)
            } else {
                groups[example.keys] = result.count
                result.append([i])
            }
        }
        return result
    }

    /// Evaluates the loss `−(1/B) Σ_traces Σ_t log q(x_t | y, x_<t)` of a batch (pyprob,
    /// docs/reference/pyprob-engine.md §4.7), sub-batch by sub-batch, each one dense LSTM pass over `[T, B_sub]`; with
    /// `gradients`, adds its gradient to
    /// `store.gradients` (the caller zeroes them first, and discards them if the outcome is not finite).
    ///
    /// - Parameters:
    ///   - normalizer: the `B` of the loss; `nil` for `examples.count`. Data-parallel training passes the global
    ///     minibatch's count, so that the ranks' gradients sum to the whole minibatch's.
    /// - Precondition: every address of `examples` has a head (call ``polymorph(_:)`` first) whose sizes match
    ///   the draw's prior; `normalizer` is positive.
    public func evaluate(_ examples: [TrainingExample], gradients: Bool, normalizer: Int? = nil) -> LossOutcome {
        precondition(normalizer.map { $0 > 0 } ?? true, "the loss normalizer must be positive")
        let groups = Self.subBatches(examples)
        var total = 0.0
        let scale = -1 / Double(normalizer ?? max(examples.count, 1))
        for group in groups {
            let batch = group.map { examples[$0] }
            switch subBatchLoss(batch, gradientScale: gradients ? scale : nil) {
            case .success(let sum): total += sum
            case .failure(let bad):
                return LossOutcome(sumLogProposal: nil, nonFinite: (bad.key, bad.value), subBatches: groups.count)
            }
        }
        if gradients {
            for example in examples {
                for key in Set(example.keys) { if let i = entryIndex[key] { trainingCounts[i] += 1 } }
            }
        }
        return LossOutcome(sumLogProposal: total, nonFinite: nil, subBatches: groups.count)
    }

    struct NonFinite: Error {
        var key: AddressKey
        var value: Double
    }

    /// One sub-batch: all examples share their address sequence.
    private func subBatchLoss(_ batch: [TrainingExample], gradientScale: Double?) -> Result<Double, NonFinite> {
        let rows = batch.count
        let keys = batch[0].keys
        let steps = keys.count
        let observationInputs = configuration.observations.indices.map { p in
            Matrix(
                rows: rows, columns: configuration.observations[p].elementCount,
                scalars: batch.flatMap { $0.observations[p] })
        }
        let (observed, observationCache) = observationEmbedding.forward(observationInputs, store: store)
        guard steps > 0 else { return .success(0) }
        let indices = keys.map { key in
            guard let index = entryIndex[key] else { preconditionFailure("no head for \(key): polymorph first") }
            return index
        }
        // The observation embedding is the same at every step: hoisted out of the per-step input (LSTM.Hoisted),
        // unless a test asks for the reference computation with it repeated in every step's input.
        let hoisted = hoistsObservations ? configuration.observationEmbedding : 0
        var inputs: [Matrix] = []
        var valueRecords: [(features: Matrix, preActivation: Matrix, output: Matrix)] = []
        inputs.reserveCapacity(steps)
        for t in 0..<steps {
            var x = Matrix(zeros: rows, configuration.lstmInput - hoisted)
            if hoisted == 0 { x.copyColumns(from: observed, to: 0) }
            if t > 0 {
                let previous = entries[indices[t - 1]]
                var features = Matrix(zeros: rows, previous.featureCount)
                features.scalars.withUnsafeMutableBufferPointer { buffer in
                    for b in 0..<rows {
                        ValueFeatures.write(
                            batch[b].values[t - 1], prior: batch[b].priors[t - 1],
                            into: UnsafeMutableBufferPointer(
                                rebasing: buffer[(b * previous.featureCount)..<((b + 1) * previous.featureCount)]))
                    }
                }
                let z = previous.valueEmbedding.forward(features, store: store)
                let a = Activation.relu.forward(z)
                x.copyColumns(from: a, to: previousValueColumn - hoisted)
                broadcast(kindRange(previous.key.kind), into: &x, column: previousKindColumn - hoisted)
                broadcast(previous.embedding, into: &x, column: previousAddressColumn - hoisted)
                valueRecords.append((features, z, a))
            }
            broadcast(kindRange(keys[t].kind), into: &x, column: currentKindColumn - hoisted)
            broadcast(entries[indices[t]].embedding, into: &x, column: currentAddressColumn - hoisted)
            inputs.append(x)
        }
        let (hidden, cache) = lstm.forward(sequence: inputs, constant: hoisted > 0 ? observed : nil, store: store)
        var sum = 0.0
        var hiddenGradients: [Matrix] = []
        hiddenGradients.reserveCapacity(steps)
        for t in 0..<steps {
            let entry = entries[indices[t]]
            let raw = entry.head.forward(hidden[t], store: store)
            var rawGradient = Matrix(zeros: rows, entry.rawCount)
            let width = entry.rawCount
            for b in 0..<rows {
                let prior = batch[b].priors[t]
                let family = ProposalFamily(prior: prior, components: configuration.components)
                precondition(family.rawCount == width, "head \(entry.key) has \(width) outputs; prior needs more")
                let proposal = raw.scalars.withUnsafeBufferPointer { buffer in
                    family.proposal(
                        raw: UnsafeBufferPointer(rebasing: buffer[(b * width)..<((b + 1) * width)]), prior: prior)
                }
                let value = batch[b].values[t]
                let logQ = proposal.logProb(of: value)
                guard logQ.isFinite else { return .failure(NonFinite(key: keys[t], value: value.scalars[0])) }
                sum += logQ
                if let gradientScale {
                    rawGradient.scalars.withUnsafeMutableBufferPointer { buffer in
                        let row = UnsafeMutableBufferPointer(rebasing: buffer[(b * width)..<((b + 1) * width)])
                        proposal.accumulateLogProbGradient(of: value, into: row)
                        for i in row.indices { row[i] *= gradientScale }
                    }
                }
            }
            if gradientScale != nil {
                hiddenGradients.append(entry.head.backward(input: hidden[t], outputGradient: rawGradient, store: store))
            }
        }
        guard gradientScale != nil else { return .success(sum) }
        let inputGradients = lstm.backward(cache: cache, outputGradients: hiddenGradients, store: store)
        var observedGradient = inputGradients.constant
        if hoisted == 0 { observedGradient = Matrix(zeros: rows, configuration.observationEmbedding) }
        for t in 0..<steps {
            let dx = inputGradients.steps[t]
            if hoisted == 0 { observedGradient.addColumns(of: dx, range: 0..<configuration.observationEmbedding) }
            accumulate(dx, column: currentKindColumn - hoisted, into: kindRange(keys[t].kind))
            accumulate(dx, column: currentAddressColumn - hoisted, into: entries[indices[t]].embedding)
            if t > 0 {
                let previous = entries[indices[t - 1]]
                let record = valueRecords[t - 1]
                let valueColumn = previousValueColumn - hoisted
                let da = dx.columns(valueColumn..<(valueColumn + configuration.sampleEmbedding))
                let dz = Activation.relu.backward(
                    input: record.preActivation, output: record.output, outputGradient: da)
                _ = previous.valueEmbedding.backward(input: record.features, outputGradient: dz, store: store)
                accumulate(dx, column: previousKindColumn - hoisted, into: kindRange(previous.key.kind))
                accumulate(dx, column: previousAddressColumn - hoisted, into: previous.embedding)
            }
        }
        observationEmbedding.backward(observationCache, observedGradient, store: store)
        return .success(sum)
    }
}

extension Matrix {
    /// Adds columns `range` of `other` (same rows) into this matrix, whose width is `range.count`.
    mutating func addColumns(of other: Matrix, range: Range<Int>) {
        precondition(other.rows == rows && range.count == columns, "column block mismatch")
        let stride = other.columns, width = columns
        scalars.withUnsafeMutableBufferPointer { target in
            other.scalars.withUnsafeBufferPointer { from in
                for row in 0..<rows {
                    for c in 0..<width { target[row * width + c] += from[row * stride + range.lowerBound + c] }
                }
            }
        }
    }
}
