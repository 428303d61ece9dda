import Foundation
import LumisNeural

/// Steps the LSTM of every in-flight IC trace of a run as one batch (issue 4 item 10).
///
/// Each worker's ``CompiledProposal`` owns a slot: its trace's input row and recurrent state. A worker that needs a
/// step queues its slot; if fewer batches than `concurrency` (the processor count) are being computed it becomes a
/// leader, takes every queued slot (its own and those of workers that queued meanwhile), gathers their rows into
/// one `B × input` matrix and state, runs one `LSTM.step`, scatters the rows back and wakes the waiting workers.
/// A leader first waits for the slots that are building their input row (a short computation after a simulator
/// message), so that steps arriving together share a batch. Steps that arrive while every core is busy with a
/// batch form the next batch, so nothing ever waits for a worker that is busy with its simulator, steps run in
/// parallel while cores are free, and batches grow (up to the number of workers) when steps outnumber cores. Each
/// row of the batched step computes what an unbatched step computes; only the GEMM's blocking may change the
/// summation order (results agree to rounding).
///
/// Invariant: `queue`, `finished`, `running`, `preparing`, `workspaces` and the counters are accessed only under
/// `condition`. A slot's storage is written by its worker only while the slot is not queued, and by the leader
/// only while the slot is in the batch it computes (its worker is then waiting), with the lock ordering the two.
final class LSTMBatcher: @unchecked Sendable {
    /// One trace's storage.
    private final class Slot {
        /// The LSTM input row (without the hoisted observation columns).
        var input: [Double]
        /// The hoisted observation term of layer 0's gates (``LSTM/Hoisted``), computed once for the run.
        let hoisted: [Double]
        /// Per layer, the hidden and cell rows.
        var hidden: [[Double]]
        var cell: [[Double]]

        init(inputSize: Int, hiddenSize: Int, layers: Int, hoisted: [Double]) {
            input = Array(repeating: 0, count: inputSize)
            self.hoisted = hoisted
            hidden = Array(repeating: Array(repeating: 0, count: hiddenSize), count: layers)
            cell = hidden
        }
    }

    private let shared: SharedNetwork
    private let condition = NSCondition()
    private var slots: [Slot] = []
    private var queue: [Int] = []
    private var finished: [Bool] = []
    /// Batches being computed, and how many may be at once.
    private var running = 0
    private let concurrency: Int
    /// Idle leader workspaces (one per running batch; created on demand, then reused).
    private var workspaces: [Workspace] = []
    private var steps = 0, batches = 0, largestBatch = 0
    /// Slots between ``prepare(_:)`` and their queued step: building an input row, a short bounded computation.
    private var preparing = 0

    /// A leader's gathered input and state.
    private final class Workspace {
        var input = Matrix(zeros: 0, 0)
        var hoisted = Matrix(zeros: 0, 0)
        var state: LSTM.State

        init(_ lstm: LSTM) { state = lstm.zeroState(batch: 0) }
    }

    /// - Parameter concurrency: how many batches may be computed at once (default: the active processor count).
    init(network shared: SharedNetwork, concurrency: Int = ProcessInfo.processInfo.activeProcessorCount) {
        precondition(concurrency > 0, "batch concurrency must be positive")
        self.shared = shared
        self.concurrency = concurrency
    }

    /// Adds a slot for one worker's proposals, whose observation term of the gates is `hoisted` (4H elements).
    func register(hoisted: [Double]) -> Int {
        let network = shared.network
        let configuration = network.configuration
        precondition(hoisted.count == 4 * configuration.lstmHidden, "hoisted gate row has the wrong width")
        condition.lock()
        defer { condition.unlock() }
        slots.append(
            Slot(
                inputSize: configuration.lstmInput - configuration.observationEmbedding,
                hiddenSize: configuration.lstmHidden, layers: configuration.lstmLayers, hoisted: hoisted))
        finished.append(false)
        return slots.count - 1
    }

    /// Zeroes `slot`'s recurrent state: a new trace starts.
    func reset(_ slot: Int) {
        let storage = lockedSlot(slot)
        for layer in storage.hidden.indices {
            for k in storage.hidden[layer].indices {
                storage.hidden[layer][k] = 0
                storage.cell[layer][k] = 0
            }
        }
    }

    private func lockedSlot(_ slot: Int) -> Slot {
        condition.lock()
        defer { condition.unlock() }
        return slots[slot]
    }

    /// Announces that `slot` is building its next input row and will call ``step(_:input:output:)`` next, without
    /// blocking in between; a leader waits for such slots, so that steps arriving together share a batch.
    func prepare(_ slot: Int) {
        condition.lock()
        preparing += 1
        condition.unlock()
    }

    /// Steps `slot`'s trace on `input` (1 × LSTM input), batched with whatever other slots are waiting, and writes
    /// the top layer's new hidden row into `output` (1 × hidden).
    ///
    /// - Precondition: ``prepare(_:)`` was called for this step.
    func step(_ slot: Int, input: Matrix, output: inout Matrix) {
        let storage = lockedSlot(slot)
        precondition(input.count == storage.input.count, "LSTM input row has the wrong width")
        for k in storage.input.indices { storage.input[k] = input.scalars[k] }
        condition.lock()
        precondition(preparing > 0, "LSTMBatcher.step without prepare")
        preparing -= 1
        queue.append(slot)
        if preparing == 0 { condition.broadcast() }
        while !finished[slot] {
            // Lead only while this slot is still queued (another leader may have taken it), a core is free, and no
            // other slot is about to queue a step (it would otherwise run in a batch of its own right after).
            if running >= concurrency || preparing > 0 || !queue.contains(slot) {
                condition.wait()
                continue
            }
            running += 1
            let batch = queue
            let taken = batch.map { slots[$0] }
            queue.removeAll(keepingCapacity: true)
            let workspace = workspaces.popLast() ?? Workspace(shared.network.lstm)
            condition.unlock()
            compute(taken, in: workspace)
            condition.lock()
            workspaces.append(workspace)
            for s in batch { finished[s] = true }
            steps += batch.count
            batches += 1
            largestBatch = max(largestBatch, batch.count)
            running -= 1
            condition.broadcast()
        }
        finished[slot] = false
        condition.unlock()
        let top = storage.hidden[storage.hidden.count - 1]
        output.resize(rows: 1, columns: top.count)
        for k in top.indices { output.scalars[k] = top[k] }
    }

    /// Gathers the slots' rows, steps the LSTM once, scatters the rows back.
    private func compute(_ batch: [Slot], in workspace: Workspace) {
        let network = shared.network
        let rows = batch.count
        let configuration = network.configuration
        let width = configuration.lstmInput - configuration.observationEmbedding
        let hiddenSize = configuration.lstmHidden, gateWidth = 4 * hiddenSize
        workspace.input.resize(rows: rows, columns: width)
        workspace.hoisted.resize(rows: rows, columns: gateWidth)
        for (row, slot) in batch.enumerated() {
            for k in 0..<width { workspace.input.scalars[row * width + k] = slot.input[k] }
            for k in 0..<gateWidth { workspace.hoisted.scalars[row * gateWidth + k] = slot.hoisted[k] }
        }
        for layer in 0..<network.configuration.lstmLayers {
            workspace.state.hidden[layer].resize(rows: rows, columns: hiddenSize)
            workspace.state.cell[layer].resize(rows: rows, columns: hiddenSize)
            for (row, slot) in batch.enumerated() {
                for k in 0..<hiddenSize {
                    workspace.state.hidden[layer].scalars[row * hiddenSize + k] = slot.hidden[layer][k]
                    workspace.state.cell[layer].scalars[row * hiddenSize + k] = slot.cell[layer][k]
                }
            }
        }
        let hoisted = LSTM.Hoisted(columns: configuration.observationEmbedding, gates: workspace.hoisted)
        _ = network.lstm.step(workspace.input, hoisted: hoisted, state: &workspace.state, store: network.store)
        for layer in 0..<network.configuration.lstmLayers {
            for (row, slot) in batch.enumerated() {
                for k in 0..<hiddenSize {
                    slot.hidden[layer][k] = workspace.state.hidden[layer].scalars[row * hiddenSize + k]
                    slot.cell[layer][k] = workspace.state.cell[layer].scalars[row * hiddenSize + k]
                }
            }
        }
    }

    /// Steps taken, batches computed and the largest batch, so far.
    var statistics: (steps: Int, batches: Int, largestBatch: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (steps, batches, largestBatch)
    }
}
