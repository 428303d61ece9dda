import LumisNeural
import RealModule
import Testing

@Suite("Optimizers")
struct OptimizerTests {
    /// Two Adam steps on two parameters, computed by hand from the update rule.
    @Test("Adam matches a hand-computed step")
    func adamSteps() {
        let store = ParameterStore()
        let range = store.allocate(2, initialization: .zeros, seed: 0)
        store.setValues([1, -2], in: range)
        var adam = Adam(learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01)
        store.gradients = [0.5, -3]
        adam.update(store)
        // Step 1: g = g + 0.01·w = (0.51, −3.02); m̂ = g, v̂ = g², so w −= 0.1 · g / (|g| + 1e-8).
        let g1 = [0.51, -3.02]
        let expected1 = [1 - 0.1 * g1[0] / (abs(g1[0]) + 1e-8), -2 - 0.1 * g1[1] / (abs(g1[1]) + 1e-8)]
        #expect(store.values[0].isApproximatelyEqual(to: expected1[0], relativeTolerance: 1e-14))
        #expect(store.values[1].isApproximatelyEqual(to: expected1[1], relativeTolerance: 1e-14))
        store.gradients = [-1, 0.25]
        adam.update(store)
        for i in 0..<2 {
            let g2 = [-1, 0.25][i] + 0.01 * expected1[i]
            let m = 0.9 * 0.1 * g1[i] + 0.1 * g2
            let v = 0.999 * 0.001 * g1[i] * g1[i] + 0.001 * g2 * g2
            let mHat = m / (1 - 0.81)
            let vHat = v / (1 - 0.999 * 0.999)
            let expected = expected1[i] - 0.1 * mHat / (vHat.squareRoot() + 1e-8)
            #expect(store.values[i].isApproximatelyEqual(to: expected, relativeTolerance: 1e-13))
        }
        #expect(adam.step == 2)
    }

    /// Parameters added after some steps join with zero moments and their own step count; the old moments stay.
    @Test("Adam keeps moments when the store grows")
    func adamGrowth() {
        let store = ParameterStore()
        _ = store.allocate(3, initialization: .constant(0.5), seed: 0)
        var adam = Adam(learningRate: 0.01)
        var reference = Adam(learningRate: 0.01)
        let referenceStore = ParameterStore()
        _ = referenceStore.allocate(3, initialization: .constant(0.5), seed: 0)
        for step in 0..<3 {
            store.gradients = [0.1, -0.2, 0.3].map { $0 * Double(step + 1) }
            referenceStore.gradients = store.gradients
            adam.update(store)
            reference.update(referenceStore)
        }
        let moments = adam.firstMoments
        let grown = store.allocate(2, initialization: .constant(-1), seed: 0)
        #expect(Array(adam.firstMoments) == moments)  // nothing changes until the next update
        store.gradients = [0.4, -0.8, 1.2, 2, -4]
        referenceStore.gradients = [0.4, -0.8, 1.2]
        adam.update(store)
        reference.update(referenceStore)
        // The old parameters move exactly as if the store had not grown.
        #expect(Array(store.values[0..<3]) == referenceStore.values)
        #expect(Array(adam.firstMoments[0..<3]) == reference.firstMoments)
        // The new ones take a first, fully bias-corrected step: w −= lr · g / (|g| + ε).
        #expect(
            store.values[grown.start].isApproximatelyEqual(to: -1 - 0.01 * 2 / (2 + 1e-8), relativeTolerance: 1e-14))
        #expect(
            store.values[grown.start + 1].isApproximatelyEqual(to: -1 + 0.01 * 4 / (4 + 1e-8), relativeTolerance: 1e-14)
        )
        #expect(adam.step == 4)
    }

    @Test("SGD with momentum and Nesterov matches a hand-computed step", arguments: [false, true])
    func sgd(nesterov: Bool) {
        let store = ParameterStore()
        let range = store.allocate(1, initialization: .constant(2), seed: 0)
        var sgd = SGD(learningRate: 0.1, momentum: 0.9, nesterov: nesterov, weightDecay: 0.5)
        store.gradients = [1]
        sgd.update(store)
        // g = 1 + 0.5·2 = 2; b = 2; step = nesterov ? g + 0.9 b = 3.8 : 2.
        let w1 = 2 - 0.1 * (nesterov ? 3.8 : 2)
        #expect(store.values[range.start].isApproximatelyEqual(to: w1, relativeTolerance: 1e-15))
        store.gradients = [-1]
        sgd.update(store)
        let g2 = -1 + 0.5 * w1
        let b2 = 0.9 * 2 + g2
        let w2 = w1 - 0.1 * (nesterov ? g2 + 0.9 * b2 : b2)
        #expect(store.values[range.start].isApproximatelyEqual(to: w2, relativeTolerance: 1e-14))
    }

    @Test("Plain SGD")
    func plainSGD() {
        let store = ParameterStore()
        _ = store.allocate(2, initialization: .constant(1), seed: 0)
        var sgd = SGD(learningRate: 0.5)
        store.gradients = [1, -2]
        sgd.update(store)
        #expect(store.values == [0.5, 2])
        #expect(sgd.velocities.isEmpty)
    }
}
