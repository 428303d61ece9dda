import LumisNeural
import RealModule
import Testing

@Suite("Convolution and pooling")
struct ConvolutionTests {
    @Test("Convolution2D forward matches the direct sum")
    func direct2D() {
        let store = ParameterStore()
        let conv = Convolution2D(
            inputChannels: 2, outputChannels: 3, inputSize: [5, 4], kernelSize: [3, 2], stride: [2, 1],
            padding: [1, 0], store: store, seed: 3)
        #expect(conv.outputShape == [3, 3, 3])
        let x = GradientCheck.randomMatrix(2, conv.inputCount, seed: 70)
        let y = conv.forward(x, store: store)
        for example in 0..<2 {
            for f in 0..<3 {
                for oy in 0..<3 {
                    for ox in 0..<3 {
                        var sum = store.values[conv.bias.start + f]
                        for c in 0..<2 {
                            for a in 0..<3 {
                                for b in 0..<2 {
                                    let (iy, ix) = (oy * 2 - 1 + a, ox + b)
                                    guard iy >= 0 && iy < 5 && ix >= 0 && ix < 4 else { continue }
                                    sum +=
                                        store.values[conv.weight.start + ((f * 2 + c) * 3 + a) * 2 + b]
                                        * x[example, (c * 5 + iy) * 4 + ix]
                                }
                            }
                        }
                        #expect(
                            y[example, (f * 3 + oy) * 3 + ox].isApproximatelyEqual(to: sum, relativeTolerance: 1e-13))
                    }
                }
            }
        }
    }

    @Test("Convolution2D backward matches finite differences")
    func backward2D() {
        let store = ParameterStore()
        let conv = Convolution2D(
            inputChannels: 2, outputChannels: 3, inputSize: [5, 4], kernelSize: [3, 2], stride: [2, 1],
            padding: [1, 0], store: store, seed: 3)
        GradientCheck.expectLayerGradients(
            input: GradientCheck.randomMatrix(2, conv.inputCount, seed: 71),
            outputWeights: GradientCheck.randomMatrix(2, conv.outputCount, seed: 72),
            store: store, "conv2d", forward: { conv.forward($0, store: store) },
            backward: { conv.backward(input: $0, outputGradient: $1, store: store) })
    }

    @Test("Convolution3D backward matches finite differences")
    func backward3D() {
        let store = ParameterStore()
        let conv = Convolution3D(
            inputChannels: 2, outputChannels: 2, inputSize: [3, 4, 3], kernelSize: [2, 3, 2], stride: [1, 2, 1],
            padding: [1, 1, 0], store: store, seed: 4)
        #expect(conv.outputShape == [2, 4, 2, 2])
        GradientCheck.expectLayerGradients(
            input: GradientCheck.randomMatrix(2, conv.inputCount, seed: 73),
            outputWeights: GradientCheck.randomMatrix(2, conv.outputCount, seed: 74),
            store: store, "conv3d", forward: { conv.forward($0, store: store) },
            backward: { conv.backward(input: $0, outputGradient: $1, store: store) })
    }

    @Test("MaxPool2D values")
    func pool2DValues() {
        let pool = MaxPool2D(channels: 1, inputSize: [2, 4], kernelSize: [2, 2])
        let x = Matrix(rows: 1, columns: 8, scalars: [1, 5, 2, 0, 3, 4, -1, 7])
        #expect(pool.outputShape == [1, 1, 2])
        #expect(pool.forward(x).scalars == [5, 7])
        #expect(
            pool.backward(input: x, outputGradient: Matrix(rows: 1, columns: 2, scalars: [1, 2])).scalars
                == [0, 1, 0, 0, 0, 0, 0, 2])
    }

    /// Overlapping windows (stride < kernel) make one input the maximum of several windows: gradients add.
    @Test("MaxPool backward matches finite differences", arguments: [false, true])
    func poolBackward(threeDimensional: Bool) {
        let (forward, backward, inputCount, outputCount): ((Matrix) -> Matrix, (Matrix, Matrix) -> Matrix, Int, Int)
        if threeDimensional {
            let pool = MaxPool3D(channels: 2, inputSize: [3, 4, 4], kernelSize: [2, 2, 2], stride: [1, 2, 1])
            (forward, backward) = (pool.forward, { pool.backward(input: $0, outputGradient: $1) })
            (inputCount, outputCount) = (pool.inputCount, pool.outputCount)
        } else {
            let pool = MaxPool2D(channels: 2, inputSize: [5, 4], kernelSize: [3, 2], stride: [1, 2])
            (forward, backward) = (pool.forward, { pool.backward(input: $0, outputGradient: $1) })
            (inputCount, outputCount) = (pool.inputCount, pool.outputCount)
        }
        var x = GradientCheck.randomMatrix(2, inputCount, seed: 75)
        let c = GradientCheck.randomMatrix(2, outputCount, seed: 76)
        let dx = backward(x, c)
        let numeric = GradientCheck.numericGradient(of: &x) { GradientCheck.weightedSum(forward($0), c) }
        GradientCheck.expectMatch(dx.scalars, numeric.gradient, scale: numeric.scale, "max pool")
    }
}
