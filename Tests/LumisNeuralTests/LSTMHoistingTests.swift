import LumisNeural
import Testing

/// The hoisted constant input (``LSTM/Hoisted``) computes the same function as the constant repeated in every
/// step's input.
///
/// Rounding bound: both ways compute the same finite sums of the same products, grouped differently (the hoisted
/// gate pre-activation is `(b + Σ_{k<C} w_k c_k) + Σ_{k≥C} w_k u_k`; the hoisted weight gradient is
/// `Σ_b (Σ_t δ_{t,b}) c_b` instead of `Σ_{t,b} δ_{t,b} c_b`). A sum of `n` terms in any order is within
/// `γ_n Σ|terms|` of the exact sum, `γ_n = nε / (1 − nε)` (Higham, *Accuracy and Stability of Numerical Algorithms*,
/// §3.1), so two orders differ by at most `2 γ_n Σ|terms|`; σ and tanh are 1-Lipschitz, so the differences carried
/// forward and back through the steps stay of that order. We take `n` as the number of multiply-adds that feed any
/// one quantity (steps × batch × widest input, an upper bound on every sum's length along every path) and
/// `Σ|terms|` as `n` times the largest magnitude in the compared block, and allow `2 γ_n · n · max|block|`.
enum HoistingBound {
    static func gamma(_ n: Int) -> Double { Double(n) * .ulpOfOne / (1 - Double(n) * .ulpOfOne) }

    /// Expects `hoisted ≈ reference` within `2 γ_n · n · max|reference|`, and that they are not both zero.
    static func expectEqual(
        _ hoisted: [Double], _ reference: [Double], terms n: Int, _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(hoisted.count == reference.count, "\(what): count", sourceLocation: sourceLocation)
        let scale = reference.reduce(0) { max($0, abs($1)) }
        #expect(scale > 0, "\(what): all zero", sourceLocation: sourceLocation)
        let bound = 2 * gamma(n) * Double(n) * scale
        let worst = zip(hoisted, reference).reduce(0) { max($0, abs($1.0 - $1.1)) }
        #expect(worst <= bound, "\(what): difference \(worst) > bound \(bound)", sourceLocation: sourceLocation)
    }
}

@Suite("LSTM hoisted input")
struct LSTMHoistingTests {
    static let (constantColumns, stepColumns, hidden, batch, steps) = (3, 2, 4, 2, 5)

    static func setUp(seed: UInt64) -> (LSTM, ParameterStore, Matrix, [Matrix], [Matrix]) {
        let store = ParameterStore()
        let lstm = LSTM(
            inputSize: constantColumns + stepColumns, hiddenSize: hidden, layers: 2, store: store, seed: seed)
        let constant = GradientCheck.randomMatrix(batch, constantColumns, seed: seed &+ 1)
        let sequence = (0..<steps).map {
            GradientCheck.randomMatrix(batch, stepColumns, seed: seed &+ 10 &+ UInt64($0))
        }
        let weights = (0..<steps).map { GradientCheck.randomMatrix(batch, hidden, seed: seed &+ 20 &+ UInt64($0)) }
        return (lstm, store, constant, sequence, weights)
    }

    @Test("Outputs, every parameter gradient and the input gradients equal the unhoisted computation")
    func equalsUnhoisted() {
        let (lstm, store, constant, sequence, weights) = Self.setUp(seed: 31)
        let full = sequence.map { Matrix(concatenatingColumns: [constant, $0]) }
        let n = Self.steps * Self.batch * (lstm.inputSize + Self.hidden)

        store.zeroGradients()
        let reference = lstm.forward(sequence: full, store: store)
        let referenceInputs = lstm.backward(cache: reference.cache, outputGradients: weights, store: store)
        let referenceGradients = store.gradients

        store.zeroGradients()
        let hoisted = lstm.forward(sequence: sequence, constant: constant, store: store)
        let hoistedInputs = lstm.backward(cache: hoisted.cache, outputGradients: weights, store: store)

        for t in 0..<Self.steps {
            HoistingBound.expectEqual(
                hoisted.outputs[t].scalars, reference.outputs[t].scalars, terms: n, "h at step \(t)")
            HoistingBound.expectEqual(
                hoistedInputs.steps[t].scalars,
                referenceInputs.steps[t].columns(Self.constantColumns..<lstm.inputSize).scalars, terms: n,
                "dx at step \(t)")
        }
        HoistingBound.expectEqual(store.gradients, referenceGradients, terms: n, "parameter gradients")
        var constantGradient = Matrix(zeros: Self.batch, Self.constantColumns)
        for dx in referenceInputs.steps {
            for row in 0..<Self.batch {
                for k in 0..<Self.constantColumns { constantGradient[row, k] += dx[row, k] }
            }
        }
        HoistingBound.expectEqual(hoistedInputs.constant.scalars, constantGradient.scalars, terms: n, "dc")

        // Stepping with the hoisted term gives the forward pass's outputs too.
        var state = lstm.zeroState(batch: Self.batch)
        let term = lstm.hoist(constant, store: store)
        for t in 0..<Self.steps {
            let h = lstm.step(sequence[t], hoisted: term, state: &state, store: store)
            HoistingBound.expectEqual(h.scalars, reference.outputs[t].scalars, terms: n, "stepped h at \(t)")
        }
    }

    @Test("Backward through time with a hoisted input matches finite differences")
    func centralDifferences() {
        let (lstm, store, constant, sequence, weights) = Self.setUp(seed: 47)
        func loss(_ constant: Matrix) -> (value: Double, scale: Double) {
            let outputs = lstm.forward(sequence: sequence, constant: constant, store: store).outputs
            var total = (value: 0.0, scale: 0.0)
            for (h, c) in zip(outputs, weights) {
                let term = GradientCheck.weightedSum(h, c)
                total = (total.value + term.value, total.scale + term.scale)
            }
            return total
        }
        store.zeroGradients()
        let cache = lstm.forward(sequence: sequence, constant: constant, store: store).cache
        let gradients = lstm.backward(cache: cache, outputGradients: weights, store: store)
        let numericParameters = GradientCheck.numericParameterGradient(store: store) { loss(constant) }
        GradientCheck.expectMatch(
            store.gradients, numericParameters.gradient, scale: numericParameters.scale, "LSTM parameters")
        var c = constant
        let numeric = GradientCheck.numericGradient(of: &c) { loss($0) }
        GradientCheck.expectMatch(gradients.constant.scalars, numeric.gradient, scale: numeric.scale, "dc")
    }
}
