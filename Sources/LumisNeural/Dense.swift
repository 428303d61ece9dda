/// A fully connected layer, `y = x · Wᵀ + b`, with `W` of shape `outputSize × inputSize` (PyTorch's layout).
///
/// Parameters live in a ``ParameterStore``; the layer only holds their ranges, so it is a small `Sendable`
/// value. Initialised as PyTorch's `nn.Linear` (weights and bias uniform on `±1/√inputSize`), which pyprob uses.
public struct Dense: Sendable, Hashable {
    /// The number of input features.
    public let inputSize: Int
    /// The number of output features.
    public let outputSize: Int
    /// The weight matrix `W`, `outputSize × inputSize`, row-major.
    public let weight: ParameterRange
    /// The bias `b`, `outputSize` elements.
    public let bias: ParameterRange

    /// Allocates the layer's parameters in `store`, initialised deterministically from `seed`.
    ///
    /// - Precondition: `inputSize > 0` and `outputSize > 0`.
    public init(inputSize: Int, outputSize: Int, store: ParameterStore, seed: UInt64) {
        precondition(inputSize > 0 && outputSize > 0, "Dense sizes \(inputSize) → \(outputSize) must be positive")
        self.inputSize = inputSize
        self.outputSize = outputSize
        let bound = 1 / Double(inputSize).squareRoot()
        weight = store.allocate(
            inputSize * outputSize, initialization: .uniform(bound: bound),
            seed: ParameterStore.derivedSeed(seed, 0))
        bias = store.allocate(
            outputSize, initialization: .uniform(bound: bound), seed: ParameterStore.derivedSeed(seed, 1))
    }

    /// The number of parameters, `outputSize · (inputSize + 1)`.
    public var parameterCount: Int { weight.count + bias.count }

    /// `x · Wᵀ + b` for a batch `x` of shape `batch × inputSize`.
    ///
    /// - Precondition: `x.columns == inputSize`.
    public func forward(_ x: Matrix, store: ParameterStore) -> Matrix {
        var y = Matrix(zeros: x.rows, outputSize)
        forward(x, into: &y, store: store)
        return y
    }

    /// `x · Wᵀ + b` written into `y`, which is resized to `batch × outputSize` (no allocation when it already has
    /// that size): the allocation-free form for training loops.
    ///
    /// - Precondition: `x.columns == inputSize`.
    public func forward(_ x: Matrix, into y: inout Matrix, store: ParameterStore) {
        precondition(x.columns == inputSize, "Dense expects \(inputSize) input columns, got \(x.columns)")
        y.resize(rows: x.rows, columns: outputSize)
        let batch = x.rows
        let (inputSize, outputSize, weight, bias) = (inputSize, outputSize, weight, bias)
        store.withValues { parameters in
            y.scalars.withUnsafeMutableBufferPointer { output in
                for row in 0..<batch {
                    for column in 0..<outputSize { output[row * outputSize + column] = parameters[bias.start + column] }
                }
                x.scalars.withUnsafeBufferPointer { input in
                    BLAS.gemm(
                        precision: store.precision, transposeA: false, transposeB: true, m: batch, n: outputSize,
                        k: inputSize, a: ScalarBuffer(input), lda: inputSize, b: parameters, bOffset: weight.start,
                        ldb: inputSize, beta: 1, c: MutableScalarBuffer(output), ldc: outputSize)
                }
            }
        }
    }

    /// Adds `∂L/∂W = dyᵀ · x` and `∂L/∂b = Σ_rows dy` to `store.gradients` and returns `∂L/∂x = dy · W`.
    ///
    /// - Parameters:
    ///   - x: the input given to ``forward(_:store:)``.
    ///   - dy: `∂L/∂y`, `batch × outputSize`.
    /// - Precondition: shapes match the layer and each other.
    public func backward(input x: Matrix, outputGradient dy: Matrix, store: ParameterStore) -> Matrix {
        var dx = Matrix(zeros: x.rows, inputSize)
        backward(input: x, outputGradient: dy, inputGradient: &dx, store: store)
        return dx
    }

    /// The allocation-free form of ``backward(input:outputGradient:store:)``: writes `∂L/∂x` into `dx` (resized to
    /// `batch × inputSize`).
    ///
    /// - Precondition: shapes match the layer and each other.
    public func backward(
        input x: Matrix, outputGradient dy: Matrix, inputGradient dx: inout Matrix, store: ParameterStore
    ) {
        accumulateParameterGradients(input: x, outputGradient: dy, store: store)
        dx.resize(rows: x.rows, columns: inputSize)
        let (batch, inputSize, outputSize, weight) = (x.rows, inputSize, outputSize, weight)
        store.withValues { parameters in
            dy.scalars.withUnsafeBufferPointer { outputGradient in
                dx.scalars.withUnsafeMutableBufferPointer { inputGradient in
                    BLAS.gemm(
                        precision: store.precision, transposeA: false, transposeB: false, m: batch, n: inputSize,
                        k: outputSize, a: ScalarBuffer(outputGradient), lda: outputSize, b: parameters,
                        bOffset: weight.start, ldb: inputSize, beta: 0, c: MutableScalarBuffer(inputGradient),
                        ldc: inputSize)
                }
            }
        }
    }

    /// Adds `∂L/∂W` and `∂L/∂b` to `store.gradients` without computing `∂L/∂x` (for a network's first layer).
    ///
    /// - Precondition: `x` is `batch × inputSize` and `dy` is `batch × outputSize`.
    public func accumulateParameterGradients(input x: Matrix, outputGradient dy: Matrix, store: ParameterStore) {
        precondition(x.columns == inputSize, "Dense expects \(inputSize) input columns, got \(x.columns)")
        precondition(
            dy.rows == x.rows && dy.columns == outputSize,
            "Dense output gradient is \(dy.rows) × \(dy.columns), expected \(x.rows) × \(outputSize)")
        let (batch, inputSize, outputSize, weight, bias) = (x.rows, inputSize, outputSize, weight, bias)
        store.withGradients { gradients in
            x.scalars.withUnsafeBufferPointer { input in
                dy.scalars.withUnsafeBufferPointer { outputGradient in
                    BLAS.gemm(
                        precision: store.precision, transposeA: true, transposeB: false, m: outputSize, n: inputSize,
                        k: batch, a: ScalarBuffer(outputGradient), lda: outputSize, b: ScalarBuffer(input),
                        ldb: inputSize, beta: 1, c: gradients, cOffset: weight.start, ldc: inputSize)
                    // Column sums in float64, added once.
                    for column in 0..<outputSize {
                        var sum = 0.0
                        for row in 0..<batch { sum += outputGradient[row * outputSize + column] }
                        gradients.add(sum, at: bias.start + column)
                    }
                }
            }
        }
    }
}
