/// A 3-D convolution (cross-correlation, as PyTorch's `Conv3d`) over `channels × depth × height × width`
/// volumes, computed as im2col + one GEMM per example.
///
/// Each row of an input matrix is one example's volume flattened in that order; each output row is the
/// `outputChannels × D' × H' × W'` result, flattened the same way. Weights are `outputChannels × (C·kd·kh·kw)`,
/// initialised as PyTorch does (weights and bias uniform on `±1/√(C·kd·kh·kw)`).
public struct Convolution3D: Sendable, Hashable {
    /// The window arithmetic.
    let geometry: ConvolutionGeometry
    /// The number of output channels (filters).
    public let outputChannels: Int
    /// The filters, `outputChannels × (C·kd·kh·kw)`, row-major.
    public let weight: ParameterRange
    /// One bias per output channel.
    public let bias: ParameterRange

    /// Allocates the filters in `store`, initialised deterministically from `seed`.
    ///
    /// - Parameters:
    ///   - inputSize: `[depth, height, width]` of the input volume.
    ///   - kernelSize, stride, padding: per spatial axis.
    /// - Precondition: positive sizes, three per axis list, padding smaller than the kernel, kernel fits the input.
    public init(
        inputChannels: Int, outputChannels: Int, inputSize: [Int], kernelSize: [Int], stride: [Int] = [1, 1, 1],
        padding: [Int] = [0, 0, 0], store: ParameterStore, seed: UInt64
    ) {
        precondition(outputChannels > 0, "Convolution needs at least one output channel")
        geometry = ConvolutionGeometry(
            channels: inputChannels, input: inputSize, kernel: kernelSize, stride: stride, padding: padding)
        self.outputChannels = outputChannels
        let bound = 1 / Double(geometry.patchSize).squareRoot()
        weight = store.allocate(
            outputChannels * geometry.patchSize, initialization: .uniform(bound: bound),
            seed: ParameterStore.derivedSeed(seed, 0))
        bias = store.allocate(
            outputChannels, initialization: .uniform(bound: bound), seed: ParameterStore.derivedSeed(seed, 1))
    }

    /// The number of input channels.
    public var inputChannels: Int { geometry.channels }
    /// The elements of one input example, `C·D·H·W`.
    public var inputCount: Int { geometry.inputCount }
    /// `[outputChannels, D', H', W']`.
    public var outputShape: [Int] { [outputChannels] + geometry.output }
    /// The elements of one output example.
    public var outputCount: Int { outputChannels * geometry.positions }

    /// The convolution of each row of `x` (`batch × inputCount`): a `batch × outputCount` matrix.
    ///
    /// - Precondition: `x.columns == inputCount`.
    public func forward(_ x: Matrix, store: ParameterStore) -> Matrix {
        precondition(x.columns == inputCount, "Convolution expects \(inputCount) input columns, got \(x.columns)")
        let (patchSize, positions, filters) = (geometry.patchSize, geometry.positions, outputChannels)
        var y = Matrix(zeros: x.rows, outputCount)
        var columns = [Double](repeating: 0, count: patchSize * positions)
        let precision = store.precision
        store.withValues { parameters in
            x.scalars.withUnsafeBufferPointer { input in
                y.scalars.withUnsafeMutableBufferPointer { output in
                    columns.withUnsafeMutableBufferPointer { columns in
                        for example in 0..<x.rows {
                            geometry.im2col(input, inputOffset: example * inputCount, into: columns)
                            let base = example * filters * positions
                            for filter in 0..<filters {
                                let value = parameters[bias.start + filter]
                                for p in 0..<positions { output[base + filter * positions + p] = value }
                            }
                            // y_example (F × P) = W (F × patch) · columns (patch × P) + b.
                            BLAS.gemm(
                                precision: precision, transposeA: false, transposeB: false, m: filters,
                                n: positions, k: patchSize, a: parameters, aOffset: weight.start, lda: patchSize,
                                b: ScalarBuffer(UnsafeBufferPointer(columns)), ldb: positions,
                                beta: 1, c: MutableScalarBuffer(output), cOffset: base, ldc: positions)
                        }
                    }
                }
            }
        }
        return y
    }

    /// Adds `∂L/∂W`, `∂L/∂b` to `store.gradients` and returns `∂L/∂x`.
    ///
    /// - Precondition: `x` is `batch × inputCount` and `dy` is `batch × outputCount`.
    public func backward(input x: Matrix, outputGradient dy: Matrix, store: ParameterStore) -> Matrix {
        precondition(x.columns == inputCount, "Convolution expects \(inputCount) input columns, got \(x.columns)")
        precondition(dy.rows == x.rows && dy.columns == outputCount, "Convolution output gradient has the wrong shape")
        let (patchSize, positions, filters) = (geometry.patchSize, geometry.positions, outputChannels)
        var dx = Matrix(zeros: x.rows, inputCount)
        var columns = [Double](repeating: 0, count: patchSize * positions)
        var columnGradient = [Double](repeating: 0, count: patchSize * positions)
        let precision = store.precision
        store.withValues { parameters in
            store.withGradients { gradients in
                x.scalars.withUnsafeBufferPointer { input in
                    dy.scalars.withUnsafeBufferPointer { outputGradient in
                        dx.scalars.withUnsafeMutableBufferPointer { inputGradient in
                            columns.withUnsafeMutableBufferPointer { columns in
                                columnGradient.withUnsafeMutableBufferPointer { columnGradient in
                                    for example in 0..<x.rows {
                                        let base = example * filters * positions
                                        geometry.im2col(input, inputOffset: example * inputCount, into: columns)
                                        // ∂L/∂W += dy_example (F × P) · columnsᵀ (P × patch).
                                        BLAS.gemm(
                                            precision: precision, transposeA: false, transposeB: true, m: filters,
                                            n: patchSize, k: positions, a: ScalarBuffer(outputGradient),
                                            aOffset: base, lda: positions,
                                            b: ScalarBuffer(UnsafeBufferPointer(columns)), ldb: positions,
                                            beta: 1, c: gradients, cOffset: weight.start, ldc: patchSize)
                                        for filter in 0..<filters {
                                            var sum = 0.0
                                            for p in 0..<positions {
                                                sum += outputGradient[base + filter * positions + p]
                                            }
                                            gradients.add(sum, at: bias.start + filter)
                                        }
                                        // ∂L/∂columns (patch × P) = Wᵀ (patch × F) · dy_example (F × P).
                                        BLAS.gemm(
                                            precision: precision, transposeA: true, transposeB: false, m: patchSize,
                                            n: positions, k: filters, a: parameters, aOffset: weight.start,
                                            lda: patchSize, b: ScalarBuffer(outputGradient), bOffset: base,
                                            ldb: positions, beta: 0, c: MutableScalarBuffer(columnGradient),
                                            ldc: positions)
                                        geometry.col2im(
                                            UnsafeBufferPointer(columnGradient), into: inputGradient,
                                            inputOffset: example * inputCount)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }
}
