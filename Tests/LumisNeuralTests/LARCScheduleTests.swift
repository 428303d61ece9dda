import LumisNeural
import RealModule
import Testing

@Suite("LARC and learning-rate schedules")
struct LARCScheduleTests {
    /// Three tensors: an ordinary one (clipped local rate), one with a large gradient (local rate below lr), and
    /// one with a zero gradient (the 1/16000 fallback); the base is plain SGD so the step is `lr · scaled g`.
    @Test("LARC scales each tensor's gradient by the pyprob formula")
    func larc() {
        let store = ParameterStore()
        let a = store.allocate(2, initialization: .zeros, seed: 0)
        let b = store.allocate(2, initialization: .zeros, seed: 0)
        let z = store.allocate(1, initialization: .zeros, seed: 0)
        store.setValues([3, 4], in: a)  // ‖w‖ = 5
        store.setValues([0.6, 0.8], in: b)  // ‖w‖ = 1
        store.setValues([2], in: z)
        store.gradients = [0.03, 0.04, 60, 80, 0]  // ‖g‖ = 0.05, 100, 0
        let (lr, wd) = (0.01, 0.1)
        var larc = LARC(SGD(learningRate: lr, weightDecay: wd))
        let before = store.values
        larc.update(store)
        func expectedScale(_ w: Double, _ g: Double) -> Double {
            let local = w != 0 && g != 0 ? 0.002 * w / (g + wd * w + 1e-8) : 1.0 / 16000
            return min(local / lr, 1)
        }
        let scales = [expectedScale(5, 0.05), expectedScale(1, 100), expectedScale(2, 0)]
        #expect(scales[0] == 1 && scales[1] < 0.01)  // both branches of the clip are exercised
        #expect(scales[2] == 1.0 / 16000 / lr)
        let gradients = [0.03, 0.04, 60, 80, 0]
        for (i, scaleIndex) in [0, 0, 1, 1, 2].enumerated() {
            let scaled = (gradients[i] + wd * before[i]) * scales[scaleIndex]
            #expect(store.gradients[i].isApproximatelyEqual(to: scaled, relativeTolerance: 1e-14))
            #expect(store.values[i].isApproximatelyEqual(to: before[i] - lr * scaled, relativeTolerance: 1e-14))
        }
        #expect(larc.scale(weightNorm: 5, gradientNorm: 1e-9, weightDecay: 0) == 1)
    }

    @Test("Polynomial schedules")
    func schedules() {
        let poly1 = LearningRateSchedule(kind: .poly1, initial: 0.1, final: 0.0025, endTraces: 256)
        let poly2 = LearningRateSchedule(kind: .poly2, initial: 0.1, final: 0.0025, endTraces: 256)
        let none = LearningRateSchedule(kind: .none, initial: 0.1, final: 0.0025, endTraces: 256)
        #expect(poly1.learningRate(afterTraces: 0) == 0.1)
        #expect(poly1.learningRate(afterTraces: 64).isApproximatelyEqual(to: 0.0975 * 0.75 + 0.0025))
        #expect(poly2.learningRate(afterTraces: 64).isApproximatelyEqual(to: 0.0975 * 0.5625 + 0.0025))
        #expect(poly1.learningRate(afterTraces: 256) == 0.0025)
        #expect(poly2.learningRate(afterTraces: 256) == 0.0025)
        #expect(poly1.learningRate(afterTraces: 10_000) == 0.0025)  // clamped past the end
        #expect(poly2.learningRate(afterTraces: 10_000) == 0.0025)
        #expect(none.learningRate(afterTraces: 200) == 0.1)
    }
}
