import LumisNeural
import Testing

@Suite("Dense and activations")
struct DenseTests {
    @Test("Dense forward is x·Wᵀ + b")
    func forward() {
        let store = ParameterStore()
        let layer = Dense(inputSize: 3, outputSize: 2, store: store, seed: 1)
        store.setValues([1, 2, 3, -1, 0.5, 0], in: layer.weight)
        store.setValues([0.25, -2], in: layer.bias)
        let x = Matrix(rows: 2, columns: 3, scalars: [1, 0, -1, 2, 1, 1])
        let y = layer.forward(x, store: store)
        #expect(y == Matrix(rows: 2, columns: 2, scalars: [1 - 3 + 0.25, -1 - 2, 2 + 2 + 3 + 0.25, -2 + 0.5 - 2]))
    }

    @Test("Initialization is a function of the seed only")
    func deterministicInitialization() {
        let a = ParameterStore()
        _ = a.allocate(5, initialization: .zeros, seed: 0)
        let first = Dense(inputSize: 4, outputSize: 3, store: a, seed: 99)
        let b = ParameterStore()
        let second = Dense(inputSize: 4, outputSize: 3, store: b, seed: 99)
        #expect(
            a.values[first.weight.start..<first.bias.end].elementsEqual(b.values[second.weight.start..<second.bias.end])
        )
        let bound = 1 / 2.0
        #expect(b.values.allSatisfy { abs($0) <= bound })
        #expect(Set(b.values).count == b.count)
        let c = ParameterStore()
        _ = Dense(inputSize: 4, outputSize: 3, store: c, seed: 100)
        #expect(c.values != b.values)
    }

    @Test("Dense backward matches finite differences")
    func backward() {
        let store = ParameterStore()
        let layer = Dense(inputSize: 5, outputSize: 4, store: store, seed: 7)
        GradientCheck.expectLayerGradients(
            input: GradientCheck.randomMatrix(3, 5, seed: 11),
            outputWeights: GradientCheck.randomMatrix(3, 4, seed: 12),
            store: store, "dense", forward: { layer.forward($0, store: store) },
            backward: { layer.backward(input: $0, outputGradient: $1, store: store) })
    }

    @Test("Activation backward matches finite differences", arguments: Activation.allCases)
    func activation(_ activation: Activation) {
        var x = GradientCheck.randomMatrix(4, 6, seed: 21, awayFromZero: true)
        x.scalars = x.scalars.map { 3 * $0 }  // reach the saturating parts of tanh and sigmoid
        let c = GradientCheck.randomMatrix(4, 6, seed: 22)
        let y = activation.forward(x)
        let dx = activation.backward(input: x, output: y, outputGradient: c)
        let numeric = GradientCheck.numericGradient(of: &x) { GradientCheck.weightedSum(activation.forward($0), c) }
        GradientCheck.expectMatch(dx.scalars, numeric.gradient, scale: numeric.scale, "\(activation)")
    }

    @Test("Activation values")
    func activationValues() {
        let x = Matrix(rows: 1, columns: 4, scalars: [-800, -1, 0.5, 800])
        #expect(Activation.relu.forward(x).scalars == [0, 0, 0.5, 800])
        #expect(Activation.identity.forward(x) == x)
        let s = Activation.sigmoid.forward(x).scalars
        #expect(s[0] == 0 && s[3] == 1)
        #expect(abs(s[1] - 1 / (1 + 2.718281828459045)) < 1e-15)
        let t = Activation.tanh.forward(x).scalars
        #expect(t[0] == -1 && t[3] == 1)
    }
}
