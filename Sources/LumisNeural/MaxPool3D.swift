/// Max pooling over `channels × depth × height × width` volumes (PyTorch's `MaxPool3d` without padding).
///
/// Rows of the input matrix are flattened volumes; output rows are `channels × D' × H' × W'` with
/// `n' = ⌊(n − k) / s⌋ + 1`. The gradient goes to the first maximal element of each window.
public struct MaxPool3D: Sendable, Hashable {
    /// The window arithmetic.
    let geometry: ConvolutionGeometry

    /// Creates the pooling layer (it has no parameters).
    ///
    /// - Parameters:
    ///   - inputSize: `[depth, height, width]`.
    ///   - kernelSize: the window per axis.
    ///   - stride: the step per axis; `nil` means the window size (PyTorch's default).
    /// - Precondition: positive sizes, three per list, and a window that fits the input.
    public init(channels: Int, inputSize: [Int], kernelSize: [Int], stride: [Int]? = nil) {
        geometry = ConvolutionGeometry(
            channels: channels, input: inputSize, kernel: kernelSize, stride: stride ?? kernelSize,
            padding: [0, 0, 0])
    }

    /// The number of channels.
    public var channels: Int { geometry.channels }
    /// The elements of one input example.
    public var inputCount: Int { geometry.inputCount }
    /// `[channels, D', H', W']`.
    public var outputShape: [Int] { [channels] + geometry.output }
    /// The elements of one output example.
    public var outputCount: Int { channels * geometry.positions }

    /// Calls `body(outputIndex, inputIndexOfMaximum)` for every output element of the example at `offset`.
    private func forEachWindow(_ input: UnsafeBufferPointer<Double>, offset: Int, _ body: (Int, Int) -> Void) {
        let (depth, height, width) = (geometry.input[0], geometry.input[1], geometry.input[2])
        let (kernel, stride, output) = (geometry.kernel, geometry.stride, geometry.output)
        var outputIndex = 0
        for c in 0..<channels {
            for z in 0..<output[0] {
                for y in 0..<output[1] {
                    for x in 0..<output[2] {
                        var best = -1
                        var bestValue = -Double.infinity
                        for a in 0..<kernel[0] {
                            for b in 0..<kernel[1] {
                                for e in 0..<kernel[2] {
                                    let index =
                                        ((c * depth + z * stride[0] + a) * height + y * stride[1] + b) * width
                                        + x * stride[2] + e
                                    let value = input[offset + index]
                                    // NaN wins so that it propagates, as in PyTorch.
                                    if best < 0 || value > bestValue || value.isNaN && !bestValue.isNaN {
                                        best = index
                                        bestValue = value
                                    }
                                }
                            }
                        }
                        body(outputIndex, best)
                        outputIndex += 1
                    }
                }
            }
        }
    }

    /// The window maxima of each row of `x`.
    ///
    /// - Precondition: `x.columns == inputCount`.
    public func forward(_ x: Matrix) -> Matrix {
        precondition(x.columns == inputCount, "MaxPool expects \(inputCount) input columns, got \(x.columns)")
        var y = Matrix(zeros: x.rows, outputCount)
        let (inputCount, outputCount) = (inputCount, outputCount)
        x.scalars.withUnsafeBufferPointer { input in
            y.scalars.withUnsafeMutableBufferPointer { output in
                for example in 0..<x.rows {
                    forEachWindow(input, offset: example * inputCount) { outputIndex, inputIndex in
                        output[example * outputCount + outputIndex] = input[example * inputCount + inputIndex]
                    }
                }
            }
        }
        return y
    }

    /// `∂L/∂x`: each output gradient routed to its window's maximum (recomputed from `x`).
    ///
    /// - Precondition: `x` is `batch × inputCount` and `dy` is `batch × outputCount`.
    public func backward(input x: Matrix, outputGradient dy: Matrix) -> Matrix {
        precondition(x.columns == inputCount, "MaxPool expects \(inputCount) input columns, got \(x.columns)")
        precondition(dy.rows == x.rows && dy.columns == outputCount, "MaxPool output gradient has the wrong shape")
        var dx = Matrix(zeros: x.rows, inputCount)
        let (inputCount, outputCount) = (inputCount, outputCount)
        x.scalars.withUnsafeBufferPointer { input in
            dy.scalars.withUnsafeBufferPointer { outputGradient in
                dx.scalars.withUnsafeMutableBufferPointer { inputGradient in
                    for example in 0..<x.rows {
                        forEachWindow(input, offset: example * inputCount) { outputIndex, inputIndex in
                            inputGradient[example * inputCount + inputIndex] +=
                                outputGradient[example * outputCount + outputIndex]
                        }
                    }
                }
            }
        }
        return dx
    }
}
