import Glibc
import LumisNeural
import Testing

/// Timing of one LSTM step at pyprob's default size (hidden 512, batch 64).
///
/// A measurement, not a test: it runs only with LUMIS_BENCHMARK=1. Build in release, set OPENBLAS_NUM_THREADS=1.
@Suite("LSTM benchmark", .enabled(if: getenv("LUMIS_BENCHMARK") != nil))
struct LSTMBenchmark {
    @Test("One step, batch 64, hidden 512, input 404 (pyprob's LSTM input with a 256 observation embedding)")
    func step() {
        let (batch, inputSize, hiddenSize) = (64, 404, 512)
        let store = ParameterStore()
        let lstm = LSTM(inputSize: inputSize, hiddenSize: hiddenSize, layers: 1, store: store, seed: 1)
        let x = GradientCheck.randomMatrix(batch, inputSize, seed: 2)
        var state = lstm.zeroState(batch: batch)
        for _ in 0..<20 { _ = lstm.step(x, state: &state, store: store) }
        let steps = 500
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for _ in 0..<steps { _ = lstm.step(x, state: &state, store: store) }
        }
        let perStep = elapsed / steps
        print("LSTM step (batch \(batch), input \(inputSize), hidden \(hiddenSize)): \(perStep) per step")

        let sequence = Array(repeating: x, count: 10)
        let gradients = Array(repeating: GradientCheck.randomMatrix(batch, hiddenSize, seed: 3), count: 10)
        let training = clock.measure {
            for _ in 0..<10 {
                let (_, cache) = lstm.forward(sequence: sequence, store: store)
                _ = lstm.backward(cache: cache, outputGradients: gradients, store: store)
            }
        }
        print("LSTM forward + backward over 10 steps (batch \(batch)): \(training / 10) per sequence")
    }
}
