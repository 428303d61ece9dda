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

/// The LSTM with float32 products (``Precision/float32``) against float64 on the same parameters and inputs.
///
/// Bound: each product's operands are rounded to float32 (relative `u = ε₃₂/2` each) and summed in float32, so an
/// element of a product differs from its float64 value by at most `γ_{k+2}(ε₃₂) Σ|terms|`; carried through the
/// 1-Lipschitz gates and the steps as in `HoistingBound`, we allow `2 γ_n(ε₃₂) · n · max|block|` with `n` the
/// multiply-adds feeding any quantity. The test also requires the two to differ, so the float32 path really ran.
@Suite("LSTM float32 products")
struct LSTMPrecisionTests {
    static func gamma32(_ n: Int) -> Double {
        let e = Double(Float.ulpOfOne)
        return Double(n) * e / (1 - Double(n) * e)
    }

    static func expectClose(
        _ float32: [Double], _ float64: [Double], terms n: Int, _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let scale = float64.reduce(0) { max($0, abs($1)) }
        let worst = zip(float32, float64).reduce(0) { max($0, abs($1.0 - $1.1)) }
        let bound = 2 * gamma32(n) * Double(n) * scale
        #expect(scale > 0, "\(what): all zero", sourceLocation: sourceLocation)
        #expect(worst <= bound, "\(what): difference \(worst) > bound \(bound)", sourceLocation: sourceLocation)
        #expect(worst > 0, "\(what): float32 equals float64 exactly", sourceLocation: sourceLocation)
    }

    @Test("Outputs, parameter gradients and input gradients agree with float64 within the float32 bound")
    func agreesWithFloat64() {
        let (lstm64, store, constant, sequence, weights) = LSTMHoistingTests.setUp(seed: 53)
        var lstm32 = lstm64
        lstm32.precision = .float32
        let n = LSTMHoistingTests.steps * LSTMHoistingTests.batch * (lstm64.inputSize + LSTMHoistingTests.hidden)
        var results: [(outputs: [Double], inputs: [Double], constant: [Double], parameters: [Double])] = []
        for lstm in [lstm64, lstm32] {
            store.zeroGradients()
            let (outputs, cache) = lstm.forward(sequence: sequence, constant: constant, store: store)
            let inputs = lstm.backward(cache: cache, outputGradients: weights, store: store)
            results.append(
                (
                    outputs.flatMap(\.scalars), inputs.steps.flatMap(\.scalars), inputs.constant.scalars,
                    store.gradients
                ))
        }
        Self.expectClose(results[1].outputs, results[0].outputs, terms: n, "h")
        Self.expectClose(results[1].inputs, results[0].inputs, terms: n, "dx")
        Self.expectClose(results[1].constant, results[0].constant, terms: n, "dc")
        Self.expectClose(results[1].parameters, results[0].parameters, terms: n, "parameter gradients")

        // Stepping in float32 (inference) agrees with the float64 forward pass too.
        var state = lstm32.zeroState(batch: LSTMHoistingTests.batch)
        let term = lstm32.hoist(constant, store: store)
        var stepped: [Double] = []
        for x in sequence { stepped += lstm32.step(x, hoisted: term, state: &state, store: store).scalars }
        Self.expectClose(stepped, results[0].outputs, terms: n, "stepped h")
    }

    @Test("The float32 copy of the parameters follows every change of the values")
    func copyFollowsValues() {
        let store = ParameterStore()
        _ = store.allocate(5, initialization: .uniform(bound: 1), seed: 3)
        #expect(store.float32Values() == store.values.map { Float($0) })
        store.setValue(0.25, at: 2)
        #expect(store.float32Values()[2] == 0.25)
        store.setValues([1, 2, 3, 4, 5], in: store.ranges[0])
        #expect(store.float32Values() == [1, 2, 3, 4, 5])
    }
}
