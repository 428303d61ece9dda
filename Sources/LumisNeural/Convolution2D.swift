/// A 2-D convolution (cross-correlation, as PyTorch's `Conv2d`) over `channels × height × width` images,
/// computed as im2col + one GEMM per example.
///
/// Each row of an input matrix is one example's image flattened in that order; each output row is the
/// `outputChannels × H' × W'` result. It is a ``Convolution3D`` over volumes of depth 1 with kernel depth 1.
public struct Convolution2D: Sendable, Hashable {
    /// The depth-1 volume convolution doing the work.
    let volume: Convolution3D

    /// Allocates the filters in `store`, initialised deterministically from `seed` (uniform on `±1/√(C·kh·kw)`).
    ///
    /// - Parameters:
    ///   - inputSize: `[height, width]` of the input image.
    ///   - kernelSize, stride, padding: per spatial axis.
    /// - Precondition: positive sizes, two per axis list, padding smaller than the kernel, kernel fits the input.
    public init(
        inputChannels: Int, outputChannels: Int, inputSize: [Int], kernelSize: [Int], stride: [Int] = [1, 1],
        padding: [Int] = [0, 0], store: ParameterStore, seed: UInt64
    ) {
        precondition(
            inputSize.count == 2 && kernelSize.count == 2 && stride.count == 2 && padding.count == 2,
            "Convolution2D takes two spatial axes")
        volume = Convolution3D(
            inputChannels: inputChannels, outputChannels: outputChannels, inputSize: [1] + inputSize,
            kernelSize: [1] + kernelSize, stride: [1] + stride, padding: [0] + padding, store: store, seed: seed)
    }

    /// The number of input channels.
    public var inputChannels: Int { volume.inputChannels }
    /// The number of output channels.
    public var outputChannels: Int { volume.outputChannels }
    /// The filters, `outputChannels × (C·kh·kw)`, row-major.
    public var weight: ParameterRange { volume.weight }
    /// One bias per output channel.
    public var bias: ParameterRange { volume.bias }
    /// The elements of one input example, `C·H·W`.
    public var inputCount: Int { volume.inputCount }
    /// `[outputChannels, H', W']`.
    public var outputShape: [Int] { [outputChannels] + volume.geometry.output.dropFirst() }
    /// The elements of one output example.
    public var outputCount: Int { volume.outputCount }

    /// The convolution of each row of `x` (`batch × inputCount`): a `batch × outputCount` matrix.
    ///
    /// - Precondition: `x.columns == inputCount`.
    public func forward(_ x: Matrix, store: ParameterStore) -> Matrix {
        volume.forward(x, store: store)
    }

    /// Adds `∂L/∂W`, `∂L/∂b` to `store.gradients` and returns `∂L/∂x`.
    ///
    /// - Precondition: `x` is `batch × inputCount` and `dy` is `batch × outputCount`.
    public func backward(input x: Matrix, outputGradient dy: Matrix, store: ParameterStore) -> Matrix {
        volume.backward(input: x, outputGradient: dy, store: store)
    }
}
