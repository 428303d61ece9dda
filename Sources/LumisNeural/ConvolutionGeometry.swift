/// The index arithmetic of a 3-D convolution or pooling window over a `channels × depth × height × width` volume
/// (2-D layers use depth 1), and the im2col / col2im transforms.
struct ConvolutionGeometry: Sendable, Hashable {
    /// Input channels.
    let channels: Int
    /// Input spatial extent `[depth, height, width]`.
    let input: [Int]
    /// Window extent per spatial axis.
    let kernel: [Int]
    /// Step per spatial axis.
    let stride: [Int]
    /// Zero padding on both sides per spatial axis.
    let padding: [Int]
    /// Output spatial extent, `⌊(n + 2p − k) / s⌋ + 1` per axis.
    let output: [Int]

    /// - Precondition: three positive extents each, non-negative padding smaller than the kernel, and a window
    ///   that fits the padded input.
    init(channels: Int, input: [Int], kernel: [Int], stride: [Int], padding: [Int]) {
        precondition(channels > 0, "Convolution needs at least one channel")
        precondition(
            input.count == 3 && kernel.count == 3 && stride.count == 3 && padding.count == 3,
            "Convolution geometry needs three spatial axes")
        precondition(input.allSatisfy { $0 > 0 } && kernel.allSatisfy { $0 > 0 } && stride.allSatisfy { $0 > 0 })
        precondition(zip(padding, kernel).allSatisfy { $0 >= 0 && $0 < $1 }, "Padding must be in 0..<kernel")
        var output: [Int] = []
        for axis in 0..<3 {
            let span = input[axis] + 2 * padding[axis] - kernel[axis]
            precondition(span >= 0, "Kernel \(kernel) does not fit input \(input) with padding \(padding)")
            output.append(span / stride[axis] + 1)
        }
        self.channels = channels
        self.input = input
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.output = output
    }

    /// Elements of one input example, `C·D·H·W`.
    var inputCount: Int { channels * input[0] * input[1] * input[2] }
    /// Output positions per channel, `D'·H'·W'`.
    var positions: Int { output[0] * output[1] * output[2] }
    /// Rows of the column matrix, `C·kd·kh·kw`.
    var patchSize: Int { channels * kernel[0] * kernel[1] * kernel[2] }

    /// Calls `body(row, column, inputIndex)` for every element of the `patchSize × positions` column matrix, with
    /// `inputIndex` the volume element it copies or `nil` for padding.
    @inline(__always)
    private func forEachPatchElement(_ body: (Int, Int, Int?) -> Void) {
        let (depth, height, width) = (input[0], input[1], input[2])
        let (outDepth, outHeight, outWidth) = (output[0], output[1], output[2])
        var row = 0
        for c in 0..<channels {
            for a in 0..<kernel[0] {
                for b in 0..<kernel[1] {
                    for e in 0..<kernel[2] {
                        var column = 0
                        for z in 0..<outDepth {
                            let iz = z * stride[0] - padding[0] + a
                            for y in 0..<outHeight {
                                let iy = y * stride[1] - padding[1] + b
                                for x in 0..<outWidth {
                                    let ix = x * stride[2] - padding[2] + e
                                    let inside =
                                        iz >= 0 && iz < depth && iy >= 0 && iy < height && ix >= 0 && ix < width
                                    body(row, column, inside ? ((c * depth + iz) * height + iy) * width + ix : nil)
                                    column += 1
                                }
                            }
                        }
                        row += 1
                    }
                }
            }
        }
    }

    /// Writes the column matrix (`patchSize × positions`) of the example at `inputOffset` into `columns`.
    func im2col(
        _ volume: UnsafeBufferPointer<Double>, inputOffset: Int, into columns: UnsafeMutableBufferPointer<Double>
    ) {
        let positions = positions
        forEachPatchElement { row, column, index in
            columns[row * positions + column] = index.map { volume[inputOffset + $0] } ?? 0
        }
    }

    /// Adds the column-matrix gradient back onto the example's volume gradient at `inputOffset` (the adjoint of
    /// ``im2col(_:inputOffset:into:)``).
    func col2im(
        _ columns: UnsafeBufferPointer<Double>, into volume: UnsafeMutableBufferPointer<Double>, inputOffset: Int
    ) {
        let positions = positions
        forEachPatchElement { row, column, index in
            if let index { volume[inputOffset + index] += columns[row * positions + column] }
        }
    }
}
