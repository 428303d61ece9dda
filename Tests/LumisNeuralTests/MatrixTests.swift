import LumisNeural
import Testing

@Suite("Matrix and preconditions")
struct MatrixTests {
    @Test("Blocks of columns and rows")
    func blocks() {
        let a = Matrix(rows: 2, columns: 2, scalars: [1, 2, 3, 4])
        let b = Matrix(rows: 2, columns: 1, scalars: [5, 6])
        let joined = Matrix(concatenatingColumns: [a, b])
        #expect(joined == Matrix(rows: 2, columns: 3, scalars: [1, 2, 5, 3, 4, 6]))
        #expect(joined.columns(0..<2) == a && joined.columns(2..<3) == b)
        let stacked = Matrix(concatenatingRows: [a, Matrix(rows: 1, columns: 2, scalars: [7, 8])])
        #expect(stacked.rows == 3 && stacked.rows(2..<3).scalars == [7, 8])
        var m = Matrix(zeros: 2, 3)
        m[1, 2] = 9
        #expect(m.scalars == [0, 0, 0, 0, 0, 9])
        m.resize(rows: 3, columns: 1)
        #expect(m.count == 3)
    }

    @Test("Shape errors are programmer errors")
    func preconditions() async {
        await #expect(processExitsWith: .failure) {
            _ = Matrix(rows: 2, columns: 2, scalars: [1, 2, 3])
        }
        await #expect(processExitsWith: .failure) {
            let store = ParameterStore()
            let layer = Dense(inputSize: 3, outputSize: 2, store: store, seed: 0)
            _ = layer.forward(Matrix(zeros: 1, 4), store: store)
        }
        await #expect(processExitsWith: .failure) {
            let store = ParameterStore()
            let table = Embedding(count: 3, dimension: 2, store: store, seed: 0)
            _ = table.forward(indices: [3], store: store)
        }
        await #expect(processExitsWith: .failure) {
            let store = ParameterStore()
            let lstm = LSTM(inputSize: 3, hiddenSize: 2, layers: 1, store: store, seed: 0)
            var state = lstm.zeroState(batch: 2)
            _ = lstm.step(Matrix(zeros: 1, 3), state: &state, store: store)
        }
        await #expect(processExitsWith: .failure) {
            let store = ParameterStore()
            _ = Convolution2D(
                inputChannels: 1, outputChannels: 1, inputSize: [2, 2], kernelSize: [3, 3], store: store, seed: 0)
        }
        await #expect(processExitsWith: .failure) {
            let store = ParameterStore()
            _ = store.allocate(2, initialization: .zeros, seed: 0)
            var adam = Adam(learningRate: 0.1)
            adam.update(store)
            adam.update(ParameterStore())  // a store that shrank
        }
    }
}
