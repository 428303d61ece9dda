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
    /// The gate products run in the store's ``Precision``; the state, caches and pointwise gate arithmetic are
    /// float64 in both.
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

    /// The time-invariant leading columns `c` of layer 0's input, projected once: `P = c · W_cᵀ + b_0`, where
    /// `W_c` is the first `columns` columns of `W_0`.
    ///
    /// When `c` is the same at every step of a sequence (the observation embedding of an inference network),
    /// `[c | x_t | h] · W_0ᵀ + b_0 = P + [x_t | h] · W_restᵀ`, so the `4H × C` product is computed once per sequence
    /// instead of once per step, and its weight gradient is one product `(Σ_t δ_t)ᵀ · c`.
    public struct Hoisted: Sendable {
        /// How many leading input columns `P` stands for.
        public let columns: Int
        /// `P`, `batch × 4H`: layer 0's gate pre-activations from `c` and the bias.
        public var gates: Matrix

        /// A hoisted term from its parts, as when gathering several sequences' rows into one batch.
        ///
        /// - Precondition: `columns >= 0`.
        public init(columns: Int, gates: Matrix) {
            precondition(columns >= 0, "negative hoisted column count")
            self.columns = columns
            self.gates = gates
        }
    }

    /// Projects the constant leading input columns `constant` (`batch × C`, `C ≤ inputSize`) once.
    ///
    /// - Complexity: one `batch × 4H × C` GEMM.
    public func hoist(_ constant: Matrix, store: ParameterStore) -> Hoisted {
        precondition(constant.columns <= inputSize, "hoisted input has \(constant.columns) > \(inputSize) columns")
        let (batch, columns, gateWidth) = (constant.rows, constant.columns, 4 * hiddenSize)
        var gates = Matrix(zeros: batch, gateWidth)
        let weight = weights[0], bias = biases[0], width = inputSize + hiddenSize
        store.withValues { parameters in
            gates.scalars.withUnsafeMutableBufferPointer { p in
                for row in 0..<batch {
                    for k in 0..<gateWidth { p[row * gateWidth + k] = parameters[bias.start + k] }
                }
                constant.scalars.withUnsafeBufferPointer { c in
                    BLAS.gemm(
                        precision: store.precision,
                        transposeA: false, transposeB: true, m: batch, n: gateWidth, k: columns,
                        a: ScalarBuffer(c), lda: max(columns, 1), b: parameters, bOffset: weight.start, ldb: width,
                        beta: 1, c: MutableScalarBuffer(p), ldc: gateWidth)
                }
            }
        }
        return Hoisted(columns: columns, gates: gates)
    }

    /// Layer `layer`'s columns of input that vary per step: all but the hoisted ones on layer 0.
    private func stepInputSize(_ layer: Int, hoisted: Int) -> Int { layerInputSize(layer) - (layer == 0 ? hoisted : 0) }

    /// Advances `state` by one time step on the batch `x` and returns the top layer's new hidden state.
    ///
    /// For inference: nothing is kept for backpropagation, and the state's workspaces are reused, so a step
    /// allocates nothing beyond what copy-on-write needs if the caller still holds the previous output. With
    /// `hoisted`, `x` holds only the columns after the hoisted ones, and the step computes what a step on
    /// `[c | x]` computes (to rounding).
    /// - Precondition: `x` is `state.batch × (inputSize − hoisted.columns)`; `hoisted.gates` has `state.batch` rows.
    public func step(_ x: Matrix, hoisted: Hoisted? = nil, state: inout State, store: ParameterStore) -> Matrix {
        let skip = hoisted?.columns ?? 0
        precondition(
            x.rows == state.batch && x.columns == inputSize - skip,
            "LSTM step input is \(x.rows) × \(x.columns), expected \(state.batch) × \(inputSize - skip)")
        let batch = x.rows
        let hiddenSize = hiddenSize
        precondition(hoisted.map { $0.gates.rows == batch } ?? true, "hoisted input has another batch size")
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
            state.concatenated[layer].resize(rows: batch, columns: stepInputSize(layer, hoisted: skip) + hiddenSize)
            state.gates[layer].resize(rows: batch, columns: 4 * hiddenSize)
        }
        let hoistedGates = hoisted?.gates.scalars ?? []
        store.withValues { parameters in
            hoistedGates.withUnsafeBufferPointer { hoistedGates in
                for layer in 0..<layers {
                    let inputWidth = stepInputSize(layer, hoisted: skip)
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
                    let initial =
                        layer == 0 && hoisted != nil
                        ? Initial(buffer: ScalarBuffer(hoistedGates), offset: 0, stride: 4 * hiddenSize)
                        : Initial(buffer: parameters, offset: biases[layer].start, stride: 0)
                    state.gates[layer].scalars.withUnsafeMutableBufferPointer { gates in
                        state.concatenated[layer].scalars.withUnsafeBufferPointer { u in
                            LSTM.gatePreactivations(
                                u: u, uOffset: 0, width: width, batch: batch, hiddenSize: hiddenSize,
                                parameters: parameters, precision: store.precision,
                                weightOffset: weights[layer].start + layerInputSize(layer)
                                    - inputWidth, weightStride: layerInputSize(layer) + hiddenSize,
                                initial: initial, gates: gates, gatesOffset: 0)
                        }
                        state.cell[layer].scalars.withUnsafeMutableBufferPointer { cell in
                            state.hidden[layer].scalars.withUnsafeMutableBufferPointer { hidden in
                                LSTM.pointwise(
                                    gates: gates, gatesOffset: 0, previousCell: UnsafeBufferPointer(cell),
                                    previousCellOffset: 0, cell: cell, cellOffset: 0, hidden: hidden,
                                    hiddenOffset: 0, batch: batch, hiddenSize: hiddenSize)
                            }
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
        /// The hoisted constant input `c`, `batch × C` (`C` may be 0).
        var constant: Matrix
        /// Per layer, `[input_t | h_{t−1}]` for every step (on layer 0 without the hoisted columns):
        /// `steps × batch × (input_l − C_l + H)`.
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
    /// Pass the cache to ``backward(cache:outputGradients:store:)``. With `constant` (`batch × C`), layer 0's input
    /// at step `t` is `[constant | x_t]`: the constant part is projected once (``hoist(_:store:)``), not per step.
    ///
    /// - Parameter sequence: the inputs `x_0 … x_{T−1}`, each `batch × (inputSize − C)`.
    /// - Returns: the top layer's hidden states `h_0 … h_{T−1}` and the cache.
    /// - Precondition: the sequence is non-empty and every element (and `constant`) has `batch` rows and the
    ///   widths above.
    public func forward(
        sequence: [Matrix], constant: Matrix? = nil, store: ParameterStore
    ) -> (outputs: [Matrix], cache: Cache) {
        precondition(!sequence.isEmpty, "LSTM forward needs at least one step")
        let batch = sequence[0].rows
        let constant = constant ?? Matrix(zeros: batch, 0)
        let skip = constant.columns
        precondition(constant.rows == batch, "LSTM constant input has \(constant.rows) rows, expected \(batch)")
        for x in sequence {
            precondition(
                x.rows == batch && x.columns == inputSize - skip,
                "LSTM input is \(x.rows) × \(x.columns), expected \(batch) × \(inputSize - skip)")
        }
        let steps = sequence.count
        let hiddenSize = hiddenSize
        var cache = Cache(
            batch: batch, steps: steps, constant: constant,
            concatenated: (0..<layers).map {
                [Double](repeating: 0, count: steps * batch * (stepInputSize($0, hoisted: skip) + hiddenSize))
            },
            gates: Array(repeating: [Double](repeating: 0, count: steps * batch * 4 * hiddenSize), count: layers),
            cells: Array(repeating: [Double](repeating: 0, count: (steps + 1) * batch * hiddenSize), count: layers),
            hiddens: Array(repeating: [Double](repeating: 0, count: steps * batch * hiddenSize), count: layers))
        let hoistedGates = skip > 0 ? hoist(constant, store: store).gates.scalars : []
        let block = batch * hiddenSize
        store.withValues { parameters in
            hoistedGates.withUnsafeBufferPointer { hoistedGates in
                for layer in 0..<layers {
                    let inputWidth = stepInputSize(layer, hoisted: skip)
                    let width = inputWidth + hiddenSize
                    let below = layer == 0 ? [] : cache.hiddens[layer - 1]
                    let initial =
                        layer == 0 && skip > 0
                        ? Initial(buffer: ScalarBuffer(hoistedGates), offset: 0, stride: 4 * hiddenSize)
                        : Initial(buffer: parameters, offset: biases[layer].start, stride: 0)
                    let weightOffset = weights[layer].start + layerInputSize(layer) - inputWidth
                    let weightStride = layerInputSize(layer) + hiddenSize
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
                                            hiddenSize: hiddenSize, parameters: parameters,
                                            precision: store.precision,
                                            weightOffset: weightOffset, weightStride: weightStride,
                                            initial: initial, gates: gates, gatesOffset: t * 4 * block)
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
        }
        let top = cache.hiddens[layers - 1]
        let outputs = (0..<steps).map { t in
            Matrix(rows: batch, columns: hiddenSize, scalars: Array(top[(t * block)..<((t + 1) * block)]))
        }
        return (outputs, cache)
    }

    /// The gradients of a sequence's loss with respect to the LSTM's inputs.
    public struct InputGradients: Sendable {
        /// `∂L/∂x_t` for each step, each `batch × (inputSize − C)`.
        public var steps: [Matrix]
        /// `∂L/∂c` of the hoisted constant input, `batch × C`: summed over the steps.
        public var constant: Matrix
    }

    /// Backpropagation through time: adds every layer's `∂L/∂W_l`, `∂L/∂b_l` to `store.gradients` and returns the
    /// input gradients.
    ///
    /// With a hoisted constant input, `∂L/∂W_c = (Σ_t δ_t)ᵀ · c` and `∂L/∂c = (Σ_t δ_t) · W_c` are one product each
    /// (`δ_t` the layer-0 gate gradients at step `t`), instead of one per step.
    /// - Parameters:
    ///   - cache: from ``forward(sequence:constant:store:)`` with the same parameters.
    ///   - outputGradients: `∂L/∂h_t` of the top layer for each step, each `batch × H` (zeros where a step's output
    ///     is unused).
    /// - Precondition: one gradient per step, each `batch × H`.
    public func backward(cache: Cache, outputGradients: [Matrix], store: ParameterStore) -> InputGradients {
        precondition(outputGradients.count == cache.steps, "LSTM backward needs one output gradient per step")
        let (batch, steps, hiddenSize) = (cache.batch, cache.steps, hiddenSize)
        let skip = cache.constant.columns
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
        var constantGradient = Matrix(zeros: batch, skip)
        for layer in stride(from: layers - 1, through: 0, by: -1) {
            let inputWidth = stepInputSize(layer, hoisted: skip)
            let width = inputWidth + hiddenSize
            let fullWidth = layerInputSize(layer) + hiddenSize
            let weightOffset = weights[layer].start + layerInputSize(layer) - inputWidth
            var concatenatedGradient = [Double](repeating: 0, count: batch * width)
            inputGradient = [Double](repeating: 0, count: steps * batch * inputWidth)
            for k in 0..<block {
                hiddenGradient[k] = 0
                cellGradient[k] = 0
            }
            store.withValues { parameters in
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
                                    // ∂L/∂[input | h_{t−1}] = dGates_t · W_l (without the hoisted columns).
                                    BLAS.gemm(
                                        precision: store.precision,
                                        transposeA: false, transposeB: false, m: batch, n: width, k: 4 * hiddenSize,
                                        a: ScalarBuffer(UnsafeBufferPointer(dGates)), aOffset: gBase,
                                        lda: 4 * hiddenSize, b: parameters, bOffset: weightOffset, ldb: fullWidth,
                                        beta: 0, c: MutableScalarBuffer(dU), ldc: width)
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
            let (weight, bias) = (weights[layer], biases[layer])
            store.withGradients { gradients in
                gateGradients.withUnsafeBufferPointer { dGates in
                    cache.concatenated[layer].withUnsafeBufferPointer { u in
                        BLAS.gemm(
                            precision: store.precision,
                            transposeA: true, transposeB: false, m: 4 * hiddenSize, n: width, k: steps * batch,
                            a: ScalarBuffer(dGates), lda: 4 * hiddenSize, b: ScalarBuffer(u), ldb: width,
                            beta: 1, c: gradients, cOffset: weightOffset, ldc: fullWidth)
                    }
                    // Summed in float64 and added once (the store's gradients may be float32).
                    var biasGradient = [Double](repeating: 0, count: 4 * hiddenSize)
                    for row in 0..<(steps * batch) {
                        for k in 0..<(4 * hiddenSize) { biasGradient[k] += dGates[row * 4 * hiddenSize + k] }
                    }
                    for k in 0..<(4 * hiddenSize) { gradients.add(biasGradient[k], at: bias.start + k) }
                    if layer == 0 && skip > 0 {
                        // S = Σ_t δ_t, then ∂L/∂W_c += Sᵀ · c and ∂L/∂c = S · W_c.
                        var summed = [Double](repeating: 0, count: batch * 4 * hiddenSize)
                        for t in 0..<steps {
                            for k in summed.indices { summed[k] += dGates[t * 4 * block + k] }
                        }
                        summed.withUnsafeBufferPointer { s in
                            cache.constant.scalars.withUnsafeBufferPointer { c in
                                BLAS.gemm(
                                    precision: store.precision,
                                    transposeA: true, transposeB: false, m: 4 * hiddenSize, n: skip, k: batch,
                                    a: ScalarBuffer(s), lda: 4 * hiddenSize, b: ScalarBuffer(c), ldb: skip,
                                    beta: 1, c: gradients, cOffset: weight.start, ldc: fullWidth)
                            }
                            store.withValues { parameters in
                                constantGradient.scalars.withUnsafeMutableBufferPointer { dc in
                                    BLAS.gemm(
                                        precision: store.precision,
                                        transposeA: false, transposeB: false, m: batch, n: skip, k: 4 * hiddenSize,
                                        a: ScalarBuffer(s), lda: 4 * hiddenSize, b: parameters,
                                        bOffset: weight.start, ldb: fullWidth, beta: 0, c: MutableScalarBuffer(dc),
                                        ldc: skip)
                                }
                            }
                        }
                    }
                }
            }
            outputGradient = inputGradient
        }
        let stepWidth = inputSize - skip
        let inputBlock = batch * stepWidth
        return InputGradients(
            steps: (0..<steps).map { t in
                Matrix(
                    rows: batch, columns: stepWidth,
                    scalars: Array(inputGradient[(t * inputBlock)..<((t + 1) * inputBlock)]))
            },
            constant: constantGradient)
    }

    /// Where a gate pre-activation starts before the GEMM adds `u · Wᵀ`: the bias (`stride` 0, the same row for
    /// every batch row) or a hoisted `P` (`stride` 4H, one row per batch row).
    private struct Initial {
        var buffer: ScalarBuffer
        var offset: Int
        var stride: Int
    }

    /// Writes `initial + u · Wᵀ` (the four gates' pre-activations) for `batch` rows into `gates`, where `W` is the
    /// `4H × width` block of the weights at `weightOffset` with row stride `weightStride`.
    private static func gatePreactivations(
        u: UnsafeBufferPointer<Double>, uOffset: Int, width: Int, batch: Int, hiddenSize: Int,
        parameters: ScalarBuffer, precision: Precision,
        weightOffset: Int, weightStride: Int, initial: Initial, gates: UnsafeMutableBufferPointer<Double>,
        gatesOffset: Int
    ) {
        let gateWidth = 4 * hiddenSize
        for row in 0..<batch {
            let from = initial.offset + row * initial.stride
            for k in 0..<gateWidth { gates[gatesOffset + row * gateWidth + k] = initial.buffer[from + k] }
        }
        BLAS.gemm(
            precision: precision, transposeA: false, transposeB: true, m: batch, n: gateWidth, k: width,
            a: ScalarBuffer(u), aOffset: uOffset, lda: width, b: parameters, bOffset: weightOffset, ldb: weightStride,
            beta: 1, c: MutableScalarBuffer(gates), cOffset: gatesOffset, ldc: gateWidth)
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
