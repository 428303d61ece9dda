import LumisNeural
import RealModule
import Testing

@Suite("LSTM")
struct LSTMTests {
    /// One step of one layer by the textbook equations, element by element, from the store's parameters.
    @Test("A single step matches the LSTM equations")
    func equations() {
        let store = ParameterStore()
        let lstm = LSTM(inputSize: 2, hiddenSize: 3, layers: 1, store: store, seed: 5)
        let x = Matrix(rows: 1, columns: 2, scalars: [0.3, -0.7])
        var state = lstm.zeroState(batch: 1)
        state.hidden[0] = Matrix(rows: 1, columns: 3, scalars: [0.1, -0.2, 0.05])
        state.cell[0] = Matrix(rows: 1, columns: 3, scalars: [0.5, 0.4, -0.3])
        let (h0, c0) = (state.hidden[0].scalars, state.cell[0].scalars)
        let h = lstm.step(x, state: &state, store: store)
        let u = x.scalars + h0
        func sigmoid(_ a: Double) -> Double { 1 / (1 + Double.exp(-a)) }
        for k in 0..<3 {
            func gate(_ block: Int) -> Double {
                let row = block * 3 + k
                var a = store.values[lstm.biases[0].start + row]
                for j in 0..<5 { a += store.values[lstm.weights[0].start + row * 5 + j] * u[j] }
                return a
            }
            let c = sigmoid(gate(1)) * c0[k] + sigmoid(gate(0)) * Double.tanh(gate(2))
            #expect(state.cell[0].scalars[k].isApproximatelyEqual(to: c, relativeTolerance: 1e-13))
            #expect(h.scalars[k].isApproximatelyEqual(to: sigmoid(gate(3)) * Double.tanh(c), relativeTolerance: 1e-13))
        }
    }

    @Test("step() over a sequence gives forward()'s outputs")
    func stepMatchesForward() {
        let store = ParameterStore()
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, layers: 2, store: store, seed: 8)
        let sequence = (0..<5).map { GradientCheck.randomMatrix(2, 3, seed: 40 + UInt64($0)) }
        let (outputs, _) = lstm.forward(sequence: sequence, store: store)
        var state = lstm.zeroState(batch: 2)
        for (t, x) in sequence.enumerated() {
            let h = lstm.step(x, state: &state, store: store)
            for k in 0..<h.count {
                #expect(h.scalars[k].isApproximatelyEqual(to: outputs[t].scalars[k], relativeTolerance: 1e-14))
            }
        }
    }

    /// Backpropagation through 4 steps of a 2-layer LSTM against central differences, for the inputs and every
    /// parameter of both layers; the loss uses the output of every step.
    @Test("Backward through time matches finite differences")
    func backward() {
        let store = ParameterStore()
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, layers: 2, store: store, seed: 9)
        let steps = 4
        var sequence = (0..<steps).map { GradientCheck.randomMatrix(2, 3, seed: 50 + UInt64($0)) }
        let c = (0..<steps).map { GradientCheck.randomMatrix(2, 4, seed: 60 + UInt64($0)) }
        func loss(_ sequence: [Matrix]) -> (value: Double, scale: Double) {
            let outputs = lstm.forward(sequence: sequence, store: store).outputs
            var total = (value: 0.0, scale: 0.0)
            for (h, weights) in zip(outputs, c) {
                let term = GradientCheck.weightedSum(h, weights)
                total = (total.value + term.value, total.scale + term.scale)
            }
            return total
        }
        store.zeroGradients()
        let cache = lstm.forward(sequence: sequence, store: store).cache
        let dx = lstm.backward(cache: cache, outputGradients: c, store: store).steps
        let numericParameters = GradientCheck.numericParameterGradient(store: store) { loss(sequence) }
        GradientCheck.expectMatch(
            store.gradients, numericParameters.gradient, scale: numericParameters.scale, "LSTM parameters")
        for t in 0..<steps {
            let original = sequence[t]
            var x = original
            let numeric = GradientCheck.numericGradient(of: &x) { perturbed in
                sequence[t] = perturbed
                defer { sequence[t] = original }
                return loss(sequence)
            }
            GradientCheck.expectMatch(dx[t].scalars, numeric.gradient, scale: numeric.scale, "LSTM dx at step \(t)")
        }
    }

    /// Stepping two traces as one batch equals stepping each alone: what batched inference across traces does.
    @Test("A state gathered from per-trace states steps like the separate states")
    func gatheredState() {
        let store = ParameterStore()
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, layers: 2, store: store, seed: 12)
        var first = lstm.zeroState(batch: 1)
        var second = lstm.zeroState(batch: 1)
        _ = lstm.step(GradientCheck.randomMatrix(1, 3, seed: 80), state: &first, store: store)
        let x1 = GradientCheck.randomMatrix(1, 3, seed: 81)
        let x2 = GradientCheck.randomMatrix(1, 3, seed: 82)
        var joint = LSTM.State(
            hidden: (0..<2).map { Matrix(concatenatingRows: [first.hidden[$0], second.hidden[$0]]) },
            cell: (0..<2).map { Matrix(concatenatingRows: [first.cell[$0], second.cell[$0]]) })
        let h = lstm.step(Matrix(concatenatingRows: [x1, x2]), state: &joint, store: store)
        let h1 = lstm.step(x1, state: &first, store: store)
        let h2 = lstm.step(x2, state: &second, store: store)
        // Equal up to summation order inside BLAS, which may differ with the batch size.
        func close(_ a: Matrix, _ b: Matrix) -> Bool {
            a.rows == b.rows && a.columns == b.columns
                && zip(a.scalars, b.scalars).allSatisfy { $0.isApproximatelyEqual(to: $1, relativeTolerance: 1e-14) }
        }
        #expect(close(h.rows(0..<1), h1) && close(h.rows(1..<2), h2))
        #expect(close(joint.cell[1].rows(1..<2), second.cell[1]))
        // A state whose batch no longer matches its workspaces is resized, not overrun.
        joint.hidden = joint.hidden.map { $0.rows(0..<1) }
        joint.cell = joint.cell.map { $0.rows(0..<1) }
        _ = lstm.step(x1, state: &joint, store: store)
    }

    @Test("Parameter layout and deterministic initialisation")
    func layout() {
        let store = ParameterStore()
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, layers: 2, store: store, seed: 1)
        #expect(lstm.weights.map(\.count) == [16 * 7, 16 * 8])
        #expect(lstm.biases.map(\.count) == [16, 16])
        #expect(store.count == 16 * 7 + 16 * 8 + 32)
        #expect(store.values.allSatisfy { abs($0) <= 0.5 })
        let again = ParameterStore()
        _ = LSTM(inputSize: 3, hiddenSize: 4, layers: 2, store: again, seed: 1)
        #expect(again.values == store.values)
    }
}
