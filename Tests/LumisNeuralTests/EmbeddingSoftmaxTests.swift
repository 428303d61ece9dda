import LumisNeural
import RealModule
import Testing

@Suite("Embedding and softmax")
struct EmbeddingSoftmaxTests {
    @Test("Embedding looks up rows and its backward matches finite differences")
    func embedding() {
        let store = ParameterStore()
        _ = store.allocate(3, initialization: .zeros, seed: 0)  // the table need not start at 0
        let table = Embedding(count: 5, dimension: 3, store: store, seed: 4)
        let indices = [2, 0, 2, 4]  // a repeated index accumulates
        let y = table.forward(indices: indices, store: store)
        #expect(Array(y.scalars[0..<3]) == Array(store.values[(table.table.start + 6)..<(table.table.start + 9)]))
        let c = GradientCheck.randomMatrix(4, 3, seed: 5)
        store.zeroGradients()
        table.backward(indices: indices, outputGradient: c, store: store)
        let numeric = GradientCheck.numericParameterGradient(store: store) {
            GradientCheck.weightedSum(table.forward(indices: indices, store: store), c)
        }
        GradientCheck.expectMatch(store.gradients, numeric.gradient, scale: numeric.scale, "embedding table")
    }

    @Test("logSoftmax and softmax values are stable")
    func values() {
        let x = Matrix(rows: 2, columns: 3, scalars: [1000, 1001, 1002, -1, 0, 1])
        let y = logSoftmax(x)
        let normaliser = Double.log(1 + Double.exp(-1) + Double.exp(-2))
        let expected = [-2 - normaliser, -1 - normaliser, -normaliser]
        for j in 0..<3 {
            #expect(y[0, j].isApproximatelyEqual(to: expected[j], relativeTolerance: 1e-14))
            #expect(y[1, j].isApproximatelyEqual(to: expected[j], relativeTolerance: 1e-14))
        }
        let p = softmax(x)
        #expect((p[0, 0] + p[0, 1] + p[0, 2]).isApproximatelyEqual(to: 1, relativeTolerance: 1e-15))
    }

    @Test("logSoftmax and softmax backward match finite differences")
    func backward() {
        var x = GradientCheck.randomMatrix(3, 5, seed: 31)
        x.scalars = x.scalars.map { 4 * $0 }
        let c = GradientCheck.randomMatrix(3, 5, seed: 32)
        let logY = logSoftmax(x)
        let logDx = logSoftmaxBackward(output: logY, outputGradient: c)
        let logNumeric = GradientCheck.numericGradient(of: &x) { GradientCheck.weightedSum(logSoftmax($0), c) }
        GradientCheck.expectMatch(logDx.scalars, logNumeric.gradient, scale: logNumeric.scale, "logSoftmax")
        let y = softmax(x)
        let dx = softmaxBackward(output: y, outputGradient: c)
        let numeric = GradientCheck.numericGradient(of: &x) { GradientCheck.weightedSum(softmax($0), c) }
        GradientCheck.expectMatch(dx.scalars, numeric.gradient, scale: numeric.scale, "softmax")
    }
}
