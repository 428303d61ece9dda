import LumisNeural

/// Embeds the observed values: one sub-network per observed name (in sorted name order), outputs concatenated.
///
/// Layouts (pyprob, docs/reference/pyprob-engine.md §4.2, smaller): feed-forward is `depth` dense layers, each followed
/// by ReLU. A CNN is two blocks of `convolution (kernel 3, padding 1, stride 1) → ReLU → max pool (window 2 per axis
/// longer than 1)`, with 8 then 16 filters in 2D and 4 then 8 in 3D, then the flattened result goes through the same
/// dense stack, except that its last layer is linear (no ReLU).
struct ObservationEmbedding {
    /// One layer of a part; convolutions and dense layers are followed by ReLU, pooling is not.
    enum Layer {
        /// A dense layer, followed by ReLU if `rectified`.
        case dense(Dense, rectified: Bool)
        case convolution2D(Convolution2D)
        case convolution3D(Convolution3D)
        case pool2D(MaxPool2D)
        case pool3D(MaxPool3D)

        var hasReLU: Bool {
            switch self {
            case .dense(_, let rectified): rectified
            case .convolution2D, .convolution3D: true
            case .pool2D, .pool3D: false
            }
        }

        func forward(_ x: Matrix, store: ParameterStore) -> Matrix {
            switch self {
            case .dense(let layer, _): layer.forward(x, store: store)
            case .convolution2D(let layer): layer.forward(x, store: store)
            case .convolution3D(let layer): layer.forward(x, store: store)
            case .pool2D(let layer): layer.forward(x)
            case .pool3D(let layer): layer.forward(x)
            }
        }

        func backward(input x: Matrix, outputGradient dy: Matrix, store: ParameterStore) -> Matrix {
            switch self {
            case .dense(let layer, _): layer.backward(input: x, outputGradient: dy, store: store)
            case .convolution2D(let layer): layer.backward(input: x, outputGradient: dy, store: store)
            case .convolution3D(let layer): layer.backward(input: x, outputGradient: dy, store: store)
            case .pool2D(let layer): layer.backward(input: x, outputGradient: dy)
            case .pool3D(let layer): layer.backward(input: x, outputGradient: dy)
            }
        }
    }

    /// One step of a part's layout, before any parameter is allocated.
    enum PlannedLayer: Equatable {
        /// A convolution of `size` (spatial, 2 or 3 axes) volumes, kernel 3, padding 1, stride 1.
        case convolution(inputChannels: Int, outputChannels: Int, size: [Int])
        /// A max pool with window `kernel` (= stride) over `channels × size` volumes.
        case pool(channels: Int, size: [Int], kernel: [Int])
        /// A dense layer, followed by ReLU if `rectified`.
        case dense(input: Int, output: Int, rectified: Bool)
    }

    /// What a forward pass keeps for its backward pass.
    struct Cache {
        /// Per part, per layer: the layer's input, its output before ReLU, and after.
        var layers: [[(input: Matrix, preActivation: Matrix, output: Matrix)]]
    }

    let specs: [ObservationEmbeddingSpec]
    /// Per spec, its layers in order.
    let parts: [[Layer]]
    /// The concatenated output size.
    let dimension: Int

    /// Allocates every part's parameters in `store`, in spec order.
    ///
    /// - Precondition: every spec's layout fits in `Int` (``plan(_:)`` is not `nil`; checked for files).
    init(specs: [ObservationEmbeddingSpec], store: ParameterStore, seed: UInt64) {
        self.specs = specs
        parts = specs.map { spec in
            let partSeed = fnv1a64("observation:" + spec.name) ^ seed
            guard let plan = Self.plan(spec) else { preconditionFailure("observation \(spec.name) is too large") }
            return plan.enumerated().map { index, planned in
                let layerSeed = partSeed &+ UInt64(index)
                switch planned {
                case .dense(let input, let output, let rectified):
                    let layer = Dense(inputSize: input, outputSize: output, store: store, seed: layerSeed)
                    return .dense(layer, rectified: rectified)
                case .convolution(let input, let output, let size) where size.count == 2:
                    return .convolution2D(
                        Convolution2D(
                            inputChannels: input, outputChannels: output, inputSize: size, kernelSize: [3, 3],
                            padding: [1, 1], store: store, seed: layerSeed))
                case .convolution(let input, let output, let size):
                    return .convolution3D(
                        Convolution3D(
                            inputChannels: input, outputChannels: output, inputSize: size, kernelSize: [3, 3, 3],
                            padding: [1, 1, 1], store: store, seed: layerSeed))
                case .pool(let channels, let size, let kernel) where size.count == 2:
                    return .pool2D(MaxPool2D(channels: channels, inputSize: size, kernelSize: kernel))
                case .pool(let channels, let size, let kernel):
                    return .pool3D(MaxPool3D(channels: channels, inputSize: size, kernelSize: kernel))
                }
            }
        }
        dimension = specs.reduce(0) { $0 + $1.dimension }
    }

    /// The filters of the two convolution blocks of a CNN.
    static func filters(_ architecture: ObservationEmbeddingSpec.Architecture) -> [Int] {
        switch architecture {
        case .feedForward: []
        case .cnn2D: [8, 16]
        case .cnn3D: [4, 8]
        }
    }

    /// The layout of `spec`'s embedding, or `nil` if a size overflows `Int` (the sizes may come from a file).
    static func plan(_ spec: ObservationEmbeddingSpec) -> [PlannedLayer]? {
        var layers: [PlannedLayer] = []
        var width: Checked
        if spec.architecture == .feedForward {
            width = Checked(1)
            for extent in spec.shape { width = width * Checked(extent) }
        } else {
            let spatialRank = spec.architecture == .cnn2D ? 2 : 3
            var channels = spec.shape.count > spatialRank ? spec.shape[0] : 1
            var size = Array(spec.shape.suffix(spatialRank))
            for filters in filters(spec.architecture) {
                layers.append(.convolution(inputChannels: channels, outputChannels: filters, size: size))
                channels = filters
                let kernel = size.map { $0 >= 2 ? 2 : 1 }
                if kernel.contains(2) {
                    layers.append(.pool(channels: channels, size: size, kernel: kernel))
                    size = zip(size, kernel).map { $0 / $1 }
                }
            }
            width = Checked(channels)
            for extent in size { width = width * Checked(extent) }
        }
        guard var input = width.value, input < Int.max / 2 else { return nil }
        let hidden = spec.hiddenWidth ?? max((input + spec.dimension) / 2, 1)
        for layer in 0..<spec.depth {
            let output = layer == spec.depth - 1 ? spec.dimension : hidden
            // A CNN's last layer is linear: a final ReLU can leave every output unit dead for all inputs at
            // initialisation (seen with small dimensions), which stops the whole CNN from learning.
            let rectified = spec.architecture == .feedForward || layer < spec.depth - 1
            layers.append(.dense(input: input, output: output, rectified: rectified))
            input = output
        }
        return layers
    }

    /// The parameter count of `spec`'s embedding, overflow-checked (the sizes may come from a file).
    static func parameterCount(_ spec: ObservationEmbeddingSpec) -> Checked {
        guard let plan = plan(spec) else { return Checked(nil) }
        var total = Checked(0)
        for layer in plan {
            switch layer {
            case .dense(let input, let output, _):
                total = total + Checked(output) * (Checked(input) + Checked(1))
            case .convolution(let input, let output, let size):
                let patch = Checked(input) * Checked(size.count == 2 ? 9 : 27)
                total = total + Checked(output) * (patch + Checked(1))
            case .pool: break
            }
        }
        return total
    }

    /// Embeds a batch: `inputs[p]` holds part *p*'s flattened values, one row per trace.
    ///
    /// - Returns: the concatenated embedding (batch × ``dimension``) and the cache for ``backward(_:_:store:)``.
    func forward(_ inputs: [Matrix], store: ParameterStore) -> (Matrix, Cache) {
        precondition(inputs.count == parts.count, "one input per observation")
        let batch = inputs.first?.rows ?? 0
        var output = Matrix(zeros: batch, dimension)
        var cache = Cache(layers: [])
        var column = 0
        for (p, (layers, input)) in zip(parts, inputs).enumerated() {
            let spec = specs[p]
            var x = input
            for i in x.scalars.indices { x.scalars[i] = (x.scalars[i] - spec.offset) / spec.scale }
            var records: [(Matrix, Matrix, Matrix)] = []
            records.reserveCapacity(layers.count)
            for layer in layers {
                let z = layer.forward(x, store: store)
                let y = layer.hasReLU ? Activation.relu.forward(z) : z
                records.append((x, z, y))
                x = y
            }
            output.copyColumns(from: x, to: column)
            column += x.columns
            cache.layers.append(records)
        }
        return (output, cache)
    }

    /// Accumulates the parameters' gradients for `outputGradient` (batch × ``dimension``).
    func backward(_ cache: Cache, _ outputGradient: Matrix, store: ParameterStore) {
        var column = 0
        for (p, layers) in parts.enumerated() {
            var dy = outputGradient.columns(column..<(column + specs[p].dimension))
            column += specs[p].dimension
            for (layer, record) in zip(layers, cache.layers[p]).reversed() {
                let dz =
                    layer.hasReLU
                    ? Activation.relu.backward(input: record.preActivation, output: record.output, outputGradient: dy)
                    : dy
                dy = layer.backward(input: record.input, outputGradient: dz, store: store)
            }
        }
    }
}

extension Matrix {
    /// Copies `source`'s columns into this matrix's columns `start..<start + source.columns`, row by row.
    mutating func copyColumns(from source: Matrix, to start: Int) {
        precondition(source.rows == rows && start + source.columns <= columns, "column block out of range")
        let width = source.columns, stride = columns
        scalars.withUnsafeMutableBufferPointer { target in
            source.scalars.withUnsafeBufferPointer { from in
                for row in 0..<rows {
                    for c in 0..<width { target[row * stride + start + c] = from[row * width + c] }
                }
            }
        }
    }

    /// Writes `values` into columns `start..<start + values.count` of every row.
    mutating func broadcastRow(_ values: UnsafeBufferPointer<Double>, to start: Int) {
        precondition(start + values.count <= columns, "column block out of range")
        let stride = columns
        scalars.withUnsafeMutableBufferPointer { target in
            for row in 0..<rows {
                for c in values.indices { target[row * stride + start + c] = values[c] }
            }
        }
    }

    /// A new matrix holding the columns `range` of this one.
    func columns(_ range: Range<Int>) -> Matrix {
        var result = Matrix(zeros: rows, range.count)
        let stride = columns, width = range.count
        result.scalars.withUnsafeMutableBufferPointer { target in
            scalars.withUnsafeBufferPointer { from in
                for row in 0..<rows {
                    for c in 0..<width { target[row * width + c] = from[row * stride + range.lowerBound + c] }
                }
            }
        }
        return result
    }

    /// Adds the column sums of columns `range` into `gradient` (one element per column).
    func addColumnSums(_ range: Range<Int>, into gradient: UnsafeMutableBufferPointer<Double>) {
        let stride = columns
        scalars.withUnsafeBufferPointer { from in
            for row in 0..<rows {
                for c in 0..<range.count { gradient[c] += from[row * stride + range.lowerBound + c] }
            }
        }
    }
}
