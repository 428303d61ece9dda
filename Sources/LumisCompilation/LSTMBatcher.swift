import Foundation
import LumisNeural

/// Steps the LSTM of every in-flight IC trace of a run as one batch (issue 4 item 10).
///
/// Each worker's ``CompiledProposal`` owns a slot: its trace's input row and recurrent state. A worker that needs a
/// step queues its slot; if no batch is being computed it becomes the leader, takes every queued slot (its own
/// and those of workers that queued meanwhile), gathers their rows into one `B × input` matrix and state, runs one
/// `LSTM.step`, scatters the rows back and wakes the waiting workers. Steps that arrive while a batch runs form the
/// next batch, so nothing ever waits for a worker that is busy with its simulator, and under load the batch grows
/// to the number of workers. Each row of the batched step computes what an unbatched step computes; only the GEMM's
/// blocking may change the summation order (results agree to rounding).
///
/// Invariant: `queue`, `finished`, `running` and the counters are accessed only under `condition`. A slot's
/// storage is written by its worker only while the slot is not queued, and by the leader only while the slot is in
/// the batch it computes (its worker is then waiting), with the lock ordering the two.
final class LSTMBatcher: @unchecked Sendable {
    /// One trace's storage.
    private final class Slot {
        /// The LSTM input row.
        var input: [Double]
        /// Per layer, the hidden and cell rows.
        var hidden: [[Double]]
        var cell: [[Double]]

        init(inputSize: Int, hiddenSize: Int, layers: Int) {
            input = Array(repeating: 0, count: inputSize)
            hidden = Array(repeating: Array(repeating: 0, count: hiddenSize), count: layers)
            cell = hidden
        }
    }

    private let shared: SharedNetwork
    private let condition = NSCondition()
    private var slots: [Slot] = []
    private var queue: [Int] = []
    private var finished: [Bool] = []
    private var running = false
    /// The leader's workspaces (one leader at a time).
    private var batchInput = Matrix(zeros: 0, 0)
    private var batchState: LSTM.State
    private var steps = 0, batches = 0, largestBatch = 0

    init(network shared: SharedNetwork) {
        self.shared = shared
        batchState = shared.network.lstm.zeroState(batch: 0)
    }

    /// Adds a slot for one worker's proposals.
    func register() -> Int {
        let network = shared.network
        condition.lock()
        defer { condition.unlock() }
        slots.append(
            Slot(
                inputSize: network.configuration.lstmInput, hiddenSize: network.configuration.lstmHidden,
                layers: network.configuration.lstmLayers))
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

    /// Steps `slot`'s trace on `input` (1 × LSTM input), batched with whatever other slots are waiting, and writes
    /// the top layer's new hidden row into `output` (1 × hidden).
    func step(_ slot: Int, input: Matrix, output: inout Matrix) {
        let storage = lockedSlot(slot)
        precondition(input.count == storage.input.count, "LSTM input row has the wrong width")
        for k in storage.input.indices { storage.input[k] = input.scalars[k] }
        condition.lock()
        queue.append(slot)
        while !finished[slot] {
            if running {
                condition.wait()
                continue
            }
            running = true
            let batch = queue
            let taken = batch.map { slots[$0] }
            queue.removeAll(keepingCapacity: true)
            condition.unlock()
            compute(taken)
            condition.lock()
            for s in batch { finished[s] = true }
            steps += batch.count
            batches += 1
            largestBatch = max(largestBatch, batch.count)
            running = false
            condition.broadcast()
        }
        finished[slot] = false
        condition.unlock()
        let top = storage.hidden[storage.hidden.count - 1]
        output.resize(rows: 1, columns: top.count)
        for k in top.indices { output.scalars[k] = top[k] }
    }

    /// Gathers the slots' rows, steps the LSTM once, scatters the rows back.
    private func compute(_ batch: [Slot]) {
        let network = shared.network
        let rows = batch.count
        let width = network.configuration.lstmInput, hiddenSize = network.configuration.lstmHidden
        batchInput.resize(rows: rows, columns: width)
        for (row, slot) in batch.enumerated() {
            for k in 0..<width { batchInput.scalars[row * width + k] = slot.input[k] }
        }
        for layer in 0..<network.configuration.lstmLayers {
            batchState.hidden[layer].resize(rows: rows, columns: hiddenSize)
            batchState.cell[layer].resize(rows: rows, columns: hiddenSize)
            for (row, slot) in batch.enumerated() {
                for k in 0..<hiddenSize {
                    batchState.hidden[layer].scalars[row * hiddenSize + k] = slot.hidden[layer][k]
                    batchState.cell[layer].scalars[row * hiddenSize + k] = slot.cell[layer][k]
                }
            }
        }
        _ = network.lstm.step(batchInput, state: &batchState, store: network.store)
        for layer in 0..<network.configuration.lstmLayers {
            for (row, slot) in batch.enumerated() {
                for k in 0..<hiddenSize {
                    slot.hidden[layer][k] = batchState.hidden[layer].scalars[row * hiddenSize + k]
                    slot.cell[layer][k] = batchState.cell[layer].scalars[row * hiddenSize + k]
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
