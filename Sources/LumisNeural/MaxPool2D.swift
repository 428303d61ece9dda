/// Max pooling over `channels × height × width` images (PyTorch's `MaxPool2d` without padding): a
/// ``MaxPool3D`` over depth-1 volumes.
public struct MaxPool2D: Sendable, Hashable {
    /// The depth-1 volume pooling doing the work.
    let volume: MaxPool3D

    /// Creates the pooling layer (it has no parameters).
    ///
    /// - Parameters:
    ///   - inputSize: `[height, width]`.
    ///   - kernelSize: the window per axis.
    ///   - stride: the step per axis; `nil` means the window size (PyTorch's default).
    /// - Precondition: positive sizes, two per list, and a window that fits the input.
    public init(channels: Int, inputSize: [Int], kernelSize: [Int], stride: [Int]? = nil) {
        precondition(
            inputSize.count == 2 && kernelSize.count == 2 && (stride?.count ?? 2) == 2,
            "MaxPool2D takes two spatial axes")
        volume = MaxPool3D(
            channels: channels, inputSize: [1] + inputSize, kernelSize: [1] + kernelSize,
            stride: [1] + (stride ?? kernelSize))
    }

    /// The number of channels.
    public var channels: Int { volume.channels }
    /// The elements of one input example.
    public var inputCount: Int { volume.inputCount }
    /// `[channels, H', W']`.
    public var outputShape: [Int] { [channels] + volume.geometry.output.dropFirst() }
    /// The elements of one output example.
    public var outputCount: Int { volume.outputCount }

    /// The window maxima of each row of `x`.
    ///
    /// - Precondition: `x.columns == inputCount`.
    public func forward(_ x: Matrix) -> Matrix { volume.forward(x) }

    /// `∂L/∂x`: each output gradient routed to its window's maximum.
    ///
    /// - Precondition: `x` is `batch × inputCount` and `dy` is `batch × outputCount`.
    public func backward(input x: Matrix, outputGradient dy: Matrix) -> Matrix {
        volume.backward(input: x, outputGradient: dy)
    }
}
