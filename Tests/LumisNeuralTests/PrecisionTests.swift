import LumisNeural
import Testing

/// Bounds on float32 results against float64 ones.
///
/// From Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1 and §3.5: with unit roundoff
/// `u = ε₃₂/2 = 2⁻²⁴`, a product element `Σ_{i<k} a_i b_i` whose operands are rounded to float32 and summed in float32
/// is within `γ_{k+2} Σ|a_i b_i| ≤ γ_{k+2} · k · max|A| · max|B|` of the float64 value (`γ_n = nu/(1 − nu)`; two
/// roundings of the operands, `k` of the sum); a value stored as float32 (a bias, a gradient added once) is within
/// `u` of it relatively. Each test compares a float32 store with a float64 store holding the same values (the
/// float32 ones, so the inputs are equal) and requires the two to differ somewhere, so the float32 path really ran.
enum Float32Bound {
    static let u = Double(Float.ulpOfOne) / 2

    static func gamma(_ n: Int) -> Double { Double(n) * u / (1 - Double(n) * u) }

    /// The bound on one element of `op(A)·op(B) + c` computed in float32 against float64, `k` the inner size.
    static func product(k: Int, maxA: Double, maxB: Double, maxC: Double = 0) -> Double {
        gamma(k + 2) * Double(k) * maxA * maxB + 2 * u * maxC
    }

    static func maxAbs(_ values: [Double]) -> Double { values.reduce(0) { max($0, abs($1)) } }

    /// Expects every `|float32 − float64| ≤ bound`, not both all zero, and some difference.
    static func expect(
        _ float32: [Double], _ float64: [Double], within bound: Double, _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(float32.count == float64.count, "\(what): count", sourceLocation: sourceLocation)
        let worst = zip(float32, float64).reduce(0) { max($0, abs($1.0 - $1.1)) }
        #expect(maxAbs(float64) > 0, "\(what): all zero", sourceLocation: sourceLocation)
        #expect(worst <= bound, "\(what): difference \(worst) > bound \(bound)", sourceLocation: sourceLocation)
        #expect(worst > 0, "\(what): float32 equals float64 exactly", sourceLocation: sourceLocation)
    }

    /// A float64 store and a float32 store holding the same values: `store`'s, rounded to float32.
    static func pair(_ store: ParameterStore) -> (float64: ParameterStore, float32: ParameterStore) {
        let float32 = ParameterStore(values: store.values, ranges: store.ranges, precision: .float32)
        return (ParameterStore(values: float32.values, ranges: store.ranges), float32)
    }
}

@Suite("float32 layers against float64")
struct PrecisionTests {
    @Test("A float32 store keeps Float values and gradients; setting and allocating round to float32")
    func float32Storage() {
        let store = ParameterStore(precision: .float32)
        let range = store.allocate(5, initialization: .uniform(bound: 1), seed: 3)
        let reference = ParameterStore()
        _ = reference.allocate(5, initialization: .uniform(bound: 1), seed: 3)
        #expect(store.values == reference.values.map { Double(Float($0)) })
        guard case .float32(let stored) = store.storedValues else {
            Issue.record("a float32 store must store Float")
            return
        }
        #expect(stored.count == 5)
        store.setValue(0.1, at: 2)
        #expect(store.values[2] == Double(Float(0.1)))
        store.setValues([1, 2, 3, 4, 5], in: range)
        #expect(store.values == [1, 2, 3, 4, 5])
        store.gradients = [0.1, 0, 0, 0, 0]
        #expect(store.gradients[0] == Double(Float(0.1)))
    }

    @Test("Dense: outputs, parameter and input gradients within the float32 product bound")
    func dense() {
        let (inputSize, outputSize, batch) = (37, 11, 6)
        let seedStore = ParameterStore()
        let layer = Dense(inputSize: inputSize, outputSize: outputSize, store: seedStore, seed: 5)
        let (store64, store32) = Float32Bound.pair(seedStore)
        let x = GradientCheck.randomMatrix(batch, inputSize, seed: 6)
        let dy = GradientCheck.randomMatrix(batch, outputSize, seed: 7)
        var results: [(y: [Double], dx: [Double], gradients: [Double])] = []
        for store in [store64, store32] {
            store.zeroGradients()
            let y = layer.forward(x, store: store)
            let dx = layer.backward(input: x, outputGradient: dy, store: store)
            results.append((y.scalars, dx.scalars, store.gradients))
        }
        let (maxX, maxDy, maxW) = (
            Float32Bound.maxAbs(x.scalars), Float32Bound.maxAbs(dy.scalars), Float32Bound.maxAbs(store64.values)
        )
        Float32Bound.expect(
            results[1].y, results[0].y,
            within: Float32Bound.product(k: inputSize, maxA: maxX, maxB: maxW, maxC: maxW), "y")
        Float32Bound.expect(
            results[1].dx, results[0].dx, within: Float32Bound.product(k: outputSize, maxA: maxDy, maxB: maxW), "dx")
        // Weight gradients: one float32 product of `batch` terms; bias gradients: a float64 sum rounded once.
        let biasSum = Double(batch) * maxDy
        Float32Bound.expect(
            results[1].gradients, results[0].gradients,
            within: max(Float32Bound.product(k: batch, maxA: maxDy, maxB: maxX), 2 * Float32Bound.u * biasSum),
            "parameter gradients")
    }

    @Test("Convolutions (2-D and 3-D): outputs, parameter and input gradients within the float32 bound")
    func convolutions() {
        let batch = 3
        let seedStore = ParameterStore()
        let conv3 = Convolution3D(
            inputChannels: 2, outputChannels: 3, inputSize: [4, 5, 5], kernelSize: [2, 3, 3], padding: [0, 1, 1],
            store: seedStore, seed: 11)
        let conv2 = Convolution2D(
            inputChannels: 2, outputChannels: 4, inputSize: [6, 5], kernelSize: [3, 2], stride: [2, 1],
            store: seedStore, seed: 12)
        let (store64, store32) = Float32Bound.pair(seedStore)
        let maxW = Float32Bound.maxAbs(store64.values)
        // (name, input and output counts, filters, patch size C·kernel, kernel volume, forward, backward)
        let cases:
            [(
                String, Int, Int, Int, Int, Int, (Matrix, ParameterStore) -> Matrix,
                (Matrix, Matrix, ParameterStore) -> Matrix
            )] = [
                (
                    "conv3d", conv3.inputCount, conv3.outputCount, 3, 2 * 2 * 3 * 3, 2 * 3 * 3,
                    { conv3.forward($0, store: $1) }, { conv3.backward(input: $0, outputGradient: $1, store: $2) }
                ),
                (
                    "conv2d", conv2.inputCount, conv2.outputCount, 4, 2 * 3 * 2, 3 * 2,
                    { conv2.forward($0, store: $1) }, { conv2.backward(input: $0, outputGradient: $1, store: $2) }
                ),
            ]
        for (name, inputCount, outputCount, filters, patch, window, forward, backward) in cases {
            let x = GradientCheck.randomMatrix(batch, inputCount, seed: 13)
            let dy = GradientCheck.randomMatrix(batch, outputCount, seed: 14)
            var results: [(y: [Double], dx: [Double], gradients: [Double])] = []
            for store in [store64, store32] {
                store.zeroGradients()
                let y = forward(x, store)
                let dx = backward(x, dy, store)
                results.append((y.scalars, dx.scalars, store.gradients))
            }
            let (maxX, maxDy) = (Float32Bound.maxAbs(x.scalars), Float32Bound.maxAbs(dy.scalars))
            let positions = outputCount / filters
            Float32Bound.expect(
                results[1].y, results[0].y,
                within: Float32Bound.product(k: patch, maxA: maxW, maxB: maxX, maxC: maxW), "\(name) y")
            // An input element collects at most `window` (kernel volume) column-gradient elements, each a product
            // over the filters, summed in float64.
            Float32Bound.expect(
                results[1].dx, results[0].dx,
                within: Double(window) * Float32Bound.product(k: filters, maxA: maxW, maxB: maxDy), "\(name) dx")
            // Weight gradients: one float32 product of `positions` terms per example, accumulated in float32 over
            // the examples (`batch · (positions + 2)` roundings); bias gradients: float64 sums of `positions` terms
            // added per example, within `γ_batch · batch · positions · max|dy|` (covered with the factor max(·, 1)).
            let n = batch * (positions + 2)
            Float32Bound.expect(
                results[1].gradients, results[0].gradients,
                within: Float32Bound.gamma(n) * Double(n) * maxDy * max(maxX, 1), "\(name) parameter gradients")
        }
    }

    @Test("Embedding: rows are the float32 values; repeated indices accumulate within the float32 bound")
    func embedding() {
        let seedStore = ParameterStore()
        let table = Embedding(count: 5, dimension: 7, store: seedStore, seed: 15)
        let (store64, store32) = Float32Bound.pair(seedStore)
        let indices = [0, 3, 3, 4, 3, 1]
        let dy = GradientCheck.randomMatrix(indices.count, 7, seed: 16)
        // Both stores hold the same (float32) values, so looking them up is exact.
        #expect(table.forward(indices: indices, store: store32) == table.forward(indices: indices, store: store64))
        var gradients: [[Double]] = []
        for store in [store64, store32] {
            store.zeroGradients()
            table.backward(indices: indices, outputGradient: dy, store: store)
            gradients.append(store.gradients)
        }
        let repeats = 3  // index 3
        Float32Bound.expect(
            gradients[1], gradients[0],
            within: Float32Bound.gamma(repeats) * Double(repeats) * Float32Bound.maxAbs(dy.scalars), "gradients")
    }

    /// Adam's moments are stored as float32 and its arithmetic is float64.
    ///
    /// With the same float32 start and the
    /// same gradients (rounded once into the float32 store, relative `u`), after `t` steps the stored moments
    /// differ relatively by at most `2tu` (first: the gradient's rounding and one store per step, contracted by
    /// β₁ ≤ 1) and `3tu` (second: twice the gradient's rounding), so the normalised step `m̂/(√v̂ + ε)` by at most
    /// `(2t + 3t/2 + 1)u ≤ 4tu`; storing each new value adds `u|w|`. Summed over `K` steps:
    /// `|w₃₂ − w₆₄| ≤ u (Σ_t 4t max|Δw_t| + K max|w|) = u (2K(K+1) max|Δw| + K max|w|)`; we allow twice that for
    /// the second-order terms.
    @Test("Adam on a float32 store follows float64 Adam within the float32 bound")
    func adam() {
        let seedStore = ParameterStore()
        _ = Dense(inputSize: 9, outputSize: 5, store: seedStore, seed: 17)
        let (store64, store32) = Float32Bound.pair(seedStore)
        var optimizers = [Adam(learningRate: 0.01), Adam(learningRate: 0.01)]
        let steps = 6
        var largestStep = 0.0
        for step in 0..<steps {
            let gradients = GradientCheck.randomMatrix(1, store64.count, seed: 100 + UInt64(step)).scalars
            let before = store64.values
            for (index, store) in [store64, store32].enumerated() {
                store.gradients = gradients
                optimizers[index].update(store)
            }
            largestStep = max(largestStep, zip(before, store64.values).reduce(0) { max($0, abs($1.0 - $1.1)) })
        }
        guard case .float32 = optimizers[1].storedFirstMoments, case .float32 = optimizers[1].storedSecondMoments
        else {
            Issue.record("Adam on a float32 store must keep float32 moments")
            return
        }
        let k = Double(steps)
        let bound =
            2 * Float32Bound.u
            * (2 * k * (k + 1) * largestStep + k * Float32Bound.maxAbs(store64.values))
        Float32Bound.expect(store32.values, store64.values, within: bound, "values after \(steps) steps")
        Float32Bound.expect(
            optimizers[1].firstMoments, optimizers[0].firstMoments,
            within: 2 * Float32Bound.u * 2 * k * Float32Bound.maxAbs(optimizers[0].firstMoments), "first moments")
    }

    @Test("Adam resumed from float64 moments converts them at its next update on a float32 store")
    func adamConverts() {
        let store64 = ParameterStore()
        _ = store64.allocate(4, initialization: .uniform(bound: 1), seed: 19)
        var adam = Adam(learningRate: 0.1)
        store64.gradients = [1, -1, 0.5, 2]
        adam.update(store64)
        let store32 = ParameterStore(values: store64.values, ranges: store64.ranges, precision: .float32)
        store32.gradients = [1, -1, 0.5, 2]
        adam.update(store32)
        guard case .float32(let moments) = adam.storedFirstMoments else {
            Issue.record("moments not converted")
            return
        }
        #expect(moments.count == 4 && adam.step == 2)
    }
}

/// The LSTM on a float32 store against a float64 store with the same values.
///
/// Bound: each product's operands are rounded to float32 and summed in float32, so an element of a product differs
/// from its float64 value by at most `γ_{k+2}(u) Σ|terms|`; carried through the 1-Lipschitz gates and the steps as
/// in `HoistingBound`, we allow `2 γ_n(ε₃₂) · n · max|block|` with `n` the multiply-adds feeding any quantity.
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
        Float32Bound.expect(
            float32, float64, within: 2 * gamma32(n) * Double(n) * scale, what, sourceLocation: sourceLocation)
    }

    @Test("Outputs, parameter gradients and input gradients agree with float64 within the float32 bound")
    func agreesWithFloat64() {
        let (lstm, seedStore, constant, sequence, weights) = LSTMHoistingTests.setUp(seed: 53)
        let (store64, store32) = Float32Bound.pair(seedStore)
        let n = LSTMHoistingTests.steps * LSTMHoistingTests.batch * (lstm.inputSize + LSTMHoistingTests.hidden)
        var results: [(outputs: [Double], inputs: [Double], constant: [Double], parameters: [Double])] = []
        for store in [store64, store32] {
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
        var state = lstm.zeroState(batch: LSTMHoistingTests.batch)
        let term = lstm.hoist(constant, store: store32)
        var stepped: [Double] = []
        for x in sequence { stepped += lstm.step(x, hoisted: term, state: &state, store: store32).scalars }
        Self.expectClose(stepped, results[0].outputs, terms: n, "stepped h")
    }
}
