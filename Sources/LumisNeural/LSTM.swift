import RealModule

/// A stacked LSTM (Hochreiter & Schmidhuber 1997, with forget gate) whose four gates are one fused GEMM per
/// step and layer.
///
/// Layer `l` sees `u = [x | h_{t−1}]` (its input concatenated with its previous hidden state) and computes
/// ```
/// [a_i a_f a_g a_o] = u · W_lᵀ + b_l          (W_l is 4H × (input_l + H), gate blocks in the order i, f, g, o)
/// i = σ(a_i)  f = σ(a_f)  g = tanh(a_g)  o = σ(a_o)
/// c_t = f ⊙ c_{t−1} + i ⊙ g                 h_t = o ⊙ tanh(c_t)
/// ```
/// The input of layer 0 is `x_t`; that of layer `l > 0` is `h_t` of layer `l − 1`; the output is the top layer's
/// `h_t`. PyTorch's `nn.LSTM` computes the same function with two biases (`b_ih + b_hh`); we keep their sum.
/// Parameters are initialised uniform on `±1/√H` as PyTorch does.
public struct LSTM: Sendable, Hashable {
    /// The size of each input vector.
    public let inputSize: Int
    /// The size `H` of the hidden and cell states of every layer.
    public let hiddenSize: Int
    /// The number of stacked layers.
    public let layers: Int
    /// Per layer, the fused gate weights `W_l`, `4H × (input_l + H)`, row-major.
    public let weights: [ParameterRange]
    /// Per layer, the fused gate bias `b_l`, `4H` elements.
    public let biases: [ParameterRange]

    /// Allocates the layers' parameters in `store`, initialised deterministically from `seed`.
    ///
    /// - Precondition: `inputSize > 0`, `hiddenSize > 0`, `layers > 0`.
    public init(inputSize: Int, hiddenSize: Int, layers: Int, store: ParameterStore, seed: UInt64) {
        precondition(inputSize > 0 && hiddenSize > 0 && layers > 0, "LSTM sizes must be positive")
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        let bound = 1 / Double(hiddenSize).squareRoot()
        var weights: [ParameterRange] = []
        var biases: [ParameterRange] = []
        for layer in 0..<layers {
            let width = (layer == 0 ? inputSize : hiddenSize) + hiddenSize
            weights.append(
                store.allocate(
                    4 * hiddenSize * width, initialization: .uniform(bound: bound),
                    seed: ParameterStore.derivedSeed(seed, UInt64(2 * layer))))
            biases.append(
                store.allocate(
                    4 * hiddenSize, initialization: .uniform(bound: bound),
                    seed: ParameterStore.derivedSeed(seed, UInt64(2 * layer + 1))))
        }
        self.weights = weights
        self.biases = biases
    }

    /// The input width of layer `layer`.
    func layerInputSize(_ layer: Int) -> Int { layer == 0 ? inputSize : hiddenSize }

    /// The recurrent state of every layer for a batch, plus reusable workspaces for ``LSTM/step(_:state:store:)``.
    public struct State: Sendable {
        /// Per layer, the hidden state `h`, `batch × H`.
        public var hidden: [Matrix]
        /// Per layer, the cell state `c`, `batch × H`.
        public var cell: [Matrix]
        /// Per layer, `[input | h]`: reused across steps so that stepping does not allocate.
        var concatenated: [Matrix]
        /// Per layer, the gate pre-activations then activations.
        var gates: [Matrix]

        /// The batch size.
        public var batch: Int { hidden.first?.rows ?? 0 }

        /// A state from given hidden and cell matrices, one of each per layer.
        ///
        /// Use it to step several traces as one batch: gather their states' rows, step, scatter the rows back.
        /// ``LSTM/step(_:state:store:)`` checks the shapes against the LSTM.
        /// - Precondition: as many cell as hidden matrices, pairwise of equal shape.
        public init(hidden: [Matrix], cell: [Matrix]) {
            precondition(hidden.count == cell.count, "LSTM state needs one cell per hidden matrix")
            precondition(
                zip(hidden, cell).allSatisfy { $0.rows == $1.rows && $0.columns == $1.columns },
                "LSTM hidden and cell shapes differ")
            self.hidden = hidden
            self.cell = cell
            self.concatenated = []
            self.gates = []
        }
    }

    /// A zero state for `batch` sequences (pyprob starts every trace from zeros).
    public func zeroState(batch: Int) -> State {
        precondition(batch >= 0, "Negative batch size")
        var state = State(
            hidden: Array(repeating: Matrix(zeros: batch, hiddenSize), count: layers),
            cell: Array(repeating: Matrix(zeros: batch, hiddenSize), count: layers))
        state.concatenated = (0..<layers).map { Matrix(zeros: batch, layerInputSize($0) + hiddenSize) }
        state.gates = Array(repeating: Matrix(zeros: batch, 4 * hiddenSize), count: layers)
        return state
    }

    /// Advances `state` by one time step on the batch `x` and returns the top layer's new hidden state.
    ///
    /// For inference: nothing is kept for backpropagation, and the state's workspaces are reused, so a step
    /// allocates nothing beyond what copy-on-write needs if the caller still holds the previous output.
    /// - Precondition: `x` is `state.batch × inputSize`.
    public func step(_ x: Matrix, state: inout State, store: ParameterStore) -> Matrix {
        precondition(
            x.rows == state.batch && x.columns == inputSize,
            "LSTM step input is \(x.rows) × \(x.columns), expected \(state.batch) × \(inputSize)")
        let batch = x.rows
        let hiddenSize = hiddenSize
        precondition(
            state.hidden.count == layers
                && zip(state.hidden, state.cell).allSatisfy {
                    $0.rows == batch && $0.columns == hiddenSize && $1.rows == batch && $1.columns == hiddenSize
                },
            "LSTM state does not hold \(layers) layers of \(batch) × \(hiddenSize) hidden and cell states")
        // Workspaces follow the state's batch (a state built by init(hidden:cell:) has none yet); no allocation
        // when the size is unchanged.
        if state.concatenated.count != layers {
            state.concatenated = Array(repeating: Matrix(zeros: 0, 0), count: layers)
            state.gates = Array(repeating: Matrix(zeros: 0, 0), count: layers)
        }
        for layer in 0..<layers {
            state.concatenated[layer].resize(rows: batch, columns: layerInputSize(layer) + hiddenSize)
            state.gates[layer].resize(rows: batch, columns: 4 * hiddenSize)
        }
        store.values.withUnsafeBufferPointer { parameters in
            for layer in 0..<layers {
                let inputWidth = layerInputSize(layer)
                let width = inputWidth + hiddenSize
                // Fill [input | h_{t−1}] into the concatenation workspace.
                state.concatenated[layer].scalars.withUnsafeMutableBufferPointer { u in
                    let source = layer == 0 ? x.scalars : state.hidden[layer - 1].scalars
                    source.withUnsafeBufferPointer { input in
                        state.hidden[layer].scalars.withUnsafeBufferPointer { hidden in
                            for row in 0..<batch {
                                for k in 0..<inputWidth { u[row * width + k] = input[row * inputWidth + k] }
                                for k in 0..<hiddenSize {
                                    u[row * width + inputWidth + k] = hidden[row * hiddenSize + k]
                                }
                            }
                        }
                    }
                }
                state.gates[layer].scalars.withUnsafeMutableBufferPointer { gates in
                    state.concatenated[layer].scalars.withUnsafeBufferPointer { u in
                        LSTM.gatePreactivations(
                            u: u, uOffset: 0, width: width, batch: batch, hiddenSize: hiddenSize,
                            parameters: parameters, weight: weights[layer], bias: biases[layer],
                            gates: gates, gatesOffset: 0)
                    }
                    state.cell[layer].scalars.withUnsafeMutableBufferPointer { cell in
                        state.hidden[layer].scalars.withUnsafeMutableBufferPointer { hidden in
                            LSTM.pointwise(
                                gates: gates, gatesOffset: 0, previousCell: UnsafeBufferPointer(cell),
                                previousCellOffset: 0, cell: cell, cellOffset: 0, hidden: hidden, hiddenOffset: 0,
                                batch: batch, hiddenSize: hiddenSize)
                        }
                    }
                }
            }
        }
        return state.hidden[layers - 1]
    }

    /// Everything a sequence's forward pass keeps for backpropagation through time.
    public struct Cache: Sendable {
        /// The batch size.
        public let batch: Int
        /// The number of time steps.
        public let steps: Int
        /// Per layer, `[input_t | h_{t−1}]` for every step: `steps × batch × (input_l + H)`.
        var concatenated: [[Double]]
        /// Per layer, the activated gates `i, f, g, o` for every step: `steps × batch × 4H`.
        var gates: [[Double]]
        /// Per layer, the cell states `c_{−1} = 0, c_0, …, c_{T−1}`: `(steps + 1) × batch × H`.
        var cells: [[Double]]
        /// Per layer, the hidden states `h_0, …, h_{T−1}`: `steps × batch × H`.
        var hiddens: [[Double]]
    }

    /// Runs the LSTM over a whole sequence from the zero state, keeping a cache for backpropagation.
    ///
    /// Pass the cache to ``backward(cache:outputGradients:store:)``.
    ///
    /// - Parameter sequence: the inputs `x_0 … x_{T−1}`, each `batch × inputSize`.
    /// - Returns: the top layer's hidden states `h_0 … h_{T−1}` and the cache.
    /// - Precondition: the sequence is non-empty and every element has the same shape `batch × inputSize`.
    public func forward(sequence: [Matrix], store: ParameterStore) -> (outputs: [Matrix], cache: Cache) {
        precondition(!sequence.isEmpty, "LSTM forward needs at least one step")
        let batch = sequence[0].rows
        for x in sequence {
            precondition(
                x.rows == batch && x.columns == inputSize,
                "LSTM input is \(x.rows) × \(x.columns), expected \(batch) × \(inputSize)")
        }
        let steps = sequence.count
        let hiddenSize = hiddenSize
        var cache = Cache(
            batch: batch, steps: steps,
            concatenated: (0..<layers).map {
                [Double](repeating: 0, count: steps * batch * (layerInputSize($0) + hiddenSize))
            },
            gates: Array(repeating: [Double](repeating: 0, count: steps * batch * 4 * hiddenSize), count: layers),
            cells: Array(repeating: [Double](repeating: 0, count: (steps + 1) * batch * hiddenSize), count: layers),
            hiddens: Array(repeating: [Double](repeating: 0, count: steps * batch * hiddenSize), count: layers))
        let block = batch * hiddenSize
        store.values.withUnsafeBufferPointer { parameters in
            for layer in 0..<layers {
                let inputWidth = layerInputSize(layer)
                let width = inputWidth + hiddenSize
                let below = layer == 0 ? [] : cache.hiddens[layer - 1]
                cache.concatenated[layer].withUnsafeMutableBufferPointer { u in
                    cache.gates[layer].withUnsafeMutableBufferPointer { gates in
                        cache.cells[layer].withUnsafeMutableBufferPointer { cells in
                            cache.hiddens[layer].withUnsafeMutableBufferPointer { hiddens in
                                for t in 0..<steps {
                                    let uBase = t * batch * width
                                    // [input_t | h_{t−1}], with h_{−1} = 0 (u is zero-filled).
                                    func fill(_ input: UnsafeBufferPointer<Double>, offset: Int) {
                                        for row in 0..<batch {
                                            for k in 0..<inputWidth {
                                                u[uBase + row * width + k] = input[offset + row * inputWidth + k]
                                            }
                                        }
                                    }
                                    if layer == 0 {
                                        sequence[t].scalars.withUnsafeBufferPointer { fill($0, offset: 0) }
                                    } else {
                                        below.withUnsafeBufferPointer { fill($0, offset: t * block) }
                                    }
                                    if t > 0 {
                                        for row in 0..<batch {
                                            for k in 0..<hiddenSize {
                                                u[uBase + row * width + inputWidth + k] =
                                                    hiddens[(t - 1) * block + row * hiddenSize + k]
                                            }
                                        }
                                    }
                                    LSTM.gatePreactivations(
                                        u: UnsafeBufferPointer(u), uOffset: uBase, width: width, batch: batch,
                                        hiddenSize: hiddenSize, parameters: parameters, weight: weights[layer],
                                        bias: biases[layer], gates: gates, gatesOffset: t * 4 * block)
                                    LSTM.pointwise(
                                        gates: gates, gatesOffset: t * 4 * block,
                                        previousCell: UnsafeBufferPointer(cells), previousCellOffset: t * block,
                                        cell: cells, cellOffset: (t + 1) * block, hidden: hiddens,
                                        hiddenOffset: t * block, batch: batch, hiddenSize: hiddenSize)
                                }
                            }
                        }
                    }
                }
            }
        }
        let top = cache.hiddens[layers - 1]
        let outputs = (0..<steps).map { t in
            Matrix(rows: batch, columns: hiddenSize, scalars: Array(top[(t * block)..<((t + 1) * block)]))
        }
        return (outputs, cache)
    }

    /// Backpropagation through time: adds every layer's `∂L/∂W_l`, `∂L/∂b_l` to `store.gradients` and returns
    /// `∂L/∂x_t` for each step.
    ///
    /// - Parameters:
    ///   - cache: from ``forward(sequence:store:)`` with the same parameters.
    ///   - outputGradients: `∂L/∂h_t` of the top layer for each step, each `batch × H` (zeros where a step's output
    ///     is unused).
    /// - Precondition: one gradient per step, each `batch × H`.
    public func backward(cache: Cache, outputGradients: [Matrix], store: ParameterStore) -> [Matrix] {
        precondition(outputGradients.count == cache.steps, "LSTM backward needs one output gradient per step")
        let (batch, steps, hiddenSize) = (cache.batch, cache.steps, hiddenSize)
        let block = batch * hiddenSize
        // Gradients flowing into the current layer's outputs h_t, `steps × batch × H` (the top layer's are given).
        var outputGradient = [Double](repeating: 0, count: steps * block)
        for (t, dy) in outputGradients.enumerated() {
            precondition(
                dy.rows == batch && dy.columns == hiddenSize,
                "LSTM output gradient is \(dy.rows) × \(dy.columns), expected \(batch) × \(hiddenSize)")
            outputGradient.replaceSubrange((t * block)..<((t + 1) * block), with: dy.scalars)
        }
        var inputGradient: [Double] = []
        var hiddenGradient = [Double](repeating: 0, count: block)
        var cellGradient = [Double](repeating: 0, count: block)
        var gateGradients = [Double](repeating: 0, count: steps * 4 * block)
        for layer in stride(from: layers - 1, through: 0, by: -1) {
            let inputWidth = layerInputSize(layer)
            let width = inputWidth + hiddenSize
            var concatenatedGradient = [Double](repeating: 0, count: batch * width)
            inputGradient = [Double](repeating: 0, count: steps * batch * inputWidth)
            for k in 0..<block {
                hiddenGradient[k] = 0
                cellGradient[k] = 0
            }
            let (weight, bias) = (weights[layer], biases[layer])
            store.values.withUnsafeBufferPointer { parameters in
                cache.gates[layer].withUnsafeBufferPointer { gates in
                    cache.cells[layer].withUnsafeBufferPointer { cells in
                        gateGradients.withUnsafeMutableBufferPointer { dGates in
                            concatenatedGradient.withUnsafeMutableBufferPointer { dU in
                                for t in stride(from: steps - 1, through: 0, by: -1) {
                                    let gBase = t * 4 * block
                                    for row in 0..<batch {
                                        let gRow = gBase + row * 4 * hiddenSize
                                        for k in 0..<hiddenSize {
                                            let j = row * hiddenSize + k
                                            let i = gates[gRow + k]
                                            let f = gates[gRow + hiddenSize + k]
                                            let g = gates[gRow + 2 * hiddenSize + k]
                                            let o = gates[gRow + 3 * hiddenSize + k]
                                            let c = cells[(t + 1) * block + j]
                                            let previousC = cells[t * block + j]
                                            let tanhC = Double.tanh(c)
                                            let dh = outputGradient[t * block + j] + hiddenGradient[j]
                                            let dc = cellGradient[j] + dh * o * (1 - tanhC * tanhC)
                                            dGates[gRow + k] = dc * g * i * (1 - i)
                                            dGates[gRow + hiddenSize + k] = dc * previousC * f * (1 - f)
                                            dGates[gRow + 2 * hiddenSize + k] = dc * i * (1 - g * g)
                                            dGates[gRow + 3 * hiddenSize + k] = dh * tanhC * o * (1 - o)
                                            cellGradient[j] = dc * f
                                        }
                                    }
                                    // ∂L/∂[input | h_{t−1}] = dGates_t · W_l.
                                    BLAS.gemm(
                                        transposeA: false, transposeB: false, m: batch, n: width, k: 4 * hiddenSize,
                                        alpha: 1, a: UnsafeBufferPointer(dGates), aOffset: gBase, lda: 4 * hiddenSize,
                                        b: parameters, bOffset: weight.start, ldb: width,
                                        beta: 0, c: dU, ldc: width)
                                    for row in 0..<batch {
                                        for k in 0..<inputWidth {
                                            inputGradient[(t * batch + row) * inputWidth + k] = dU[row * width + k]
                                        }
                                        for k in 0..<hiddenSize {
                                            hiddenGradient[row * hiddenSize + k] = dU[row * width + inputWidth + k]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            // All steps at once: ∂L/∂W_l += Σ_t dGates_tᵀ · u_t (one GEMM over steps × batch rows);
            // ∂L/∂b_l += Σ dGates.
            store.gradients.withUnsafeMutableBufferPointer { gradients in
                gateGradients.withUnsafeBufferPointer { dGates in
                    cache.concatenated[layer].withUnsafeBufferPointer { u in
                        BLAS.gemm(
                            transposeA: true, transposeB: false, m: 4 * hiddenSize, n: width, k: steps * batch,
                            alpha: 1, a: dGates, lda: 4 * hiddenSize, b: u, ldb: width,
                            beta: 1, c: gradients, cOffset: weight.start, ldc: width)
                    }
                    for row in 0..<(steps * batch) {
                        for k in 0..<(4 * hiddenSize) { gradients[bias.start + k] += dGates[row * 4 * hiddenSize + k] }
                    }
                }
            }
            outputGradient = inputGradient
        }
        let inputBlock = batch * inputSize
        return (0..<steps).map { t in
            Matrix(
                rows: batch, columns: inputSize,
                scalars: Array(inputGradient[(t * inputBlock)..<((t + 1) * inputBlock)]))
        }
    }

    /// Writes `u · Wᵀ + b` (the four gates' pre-activations) for `batch` rows into `gates`.
    private static func gatePreactivations(
        u: UnsafeBufferPointer<Double>, uOffset: Int, width: Int, batch: Int, hiddenSize: Int,
        parameters: UnsafeBufferPointer<Double>, weight: ParameterRange, bias: ParameterRange,
        gates: UnsafeMutableBufferPointer<Double>, gatesOffset: Int
    ) {
        let gateWidth = 4 * hiddenSize
        for row in 0..<batch {
            for k in 0..<gateWidth { gates[gatesOffset + row * gateWidth + k] = parameters[bias.start + k] }
        }
        BLAS.gemm(
            transposeA: false, transposeB: true, m: batch, n: gateWidth, k: width, alpha: 1,
            a: u, aOffset: uOffset, lda: width, b: parameters, bOffset: weight.start, ldb: width,
            beta: 1, c: gates, cOffset: gatesOffset, ldc: gateWidth)
    }

    /// Activates the gates in place and writes `c_t = f c_{t−1} + i g` and `h_t = o tanh(c_t)`.
    ///
    /// `previousCell` and `cell` may be the same buffer at the same offset (stepping in place): each element is
    /// read before it is written.
    private static func pointwise(
        gates: UnsafeMutableBufferPointer<Double>, gatesOffset: Int,
        previousCell: UnsafeBufferPointer<Double>, previousCellOffset: Int,
        cell: UnsafeMutableBufferPointer<Double>, cellOffset: Int,
        hidden: UnsafeMutableBufferPointer<Double>, hiddenOffset: Int, batch: Int, hiddenSize: Int
    ) {
        for row in 0..<batch {
            let g0 = gatesOffset + row * 4 * hiddenSize
            for k in 0..<hiddenSize {
                let i = Activation.logistic(gates[g0 + k])
                let f = Activation.logistic(gates[g0 + hiddenSize + k])
                let g = Double.tanh(gates[g0 + 2 * hiddenSize + k])
                let o = Activation.logistic(gates[g0 + 3 * hiddenSize + k])
                gates[g0 + k] = i
                gates[g0 + hiddenSize + k] = f
                gates[g0 + 2 * hiddenSize + k] = g
                gates[g0 + 3 * hiddenSize + k] = o
                let j = row * hiddenSize + k
                let c = f * previousCell[previousCellOffset + j] + i * g
                cell[cellOffset + j] = c
                hidden[hiddenOffset + j] = o * Double.tanh(c)
            }
        }
    }
}
