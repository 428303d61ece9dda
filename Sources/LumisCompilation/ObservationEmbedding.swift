import LumisNeural

/// Embeds the observed values: one sub-network per observed name (in sorted name order), outputs concatenated.
struct ObservationEmbedding {
    /// One observed variable's embedding.
    enum Part {
        /// Dense layers, each followed by ReLU (pyprob's `EmbeddingFeedForward`, §4.2).
        case feedForward([Dense])
    }

    /// What a forward pass keeps for its backward pass.
    struct Cache {
        /// Per part, per layer: the layer's input and its pre-activation output.
        var layers: [[(input: Matrix, preActivation: Matrix, output: Matrix)]]
    }

    let specs: [ObservationEmbeddingSpec]
    let parts: [Part]
    /// The concatenated output size.
    let dimension: Int

    /// Allocates every part's parameters in `store`, in spec order.
    init(specs: [ObservationEmbeddingSpec], store: ParameterStore, seed: UInt64) {
        self.specs = specs
        var parts: [Part] = []
        for spec in specs {
            let partSeed = fnv1a64("observation:" + spec.name) ^ seed
            switch spec.architecture {
            case .feedForward, .cnn2D, .cnn3D:
                parts.append(.feedForward(Self.denseStack(input: spec.elementCount, spec: spec, store: store, seed: partSeed)))
            }
        }
        self.parts = parts
        dimension = specs.reduce(0) { $0 + $1.dimension }
    }

    /// `depth` dense layers from `input` to `spec.dimension`; hidden layers are `(input + dimension) / 2` wide.
    private static func denseStack(input: Int, spec: ObservationEmbeddingSpec, store: ParameterStore, seed: UInt64)
        -> [Dense]
    {
        let hidden = max((input + spec.dimension) / 2, 1)
        var layers: [Dense] = []
        var width = input
        for layer in 0..<spec.depth {
            let output = layer == spec.depth - 1 ? spec.dimension : hidden
            layers.append(Dense(inputSize: width, outputSize: output, store: store, seed: seed &+ UInt64(layer)))
            width = output
        }
        return layers
    }

    /// The parameter count of `spec`'s embedding, overflow-checked (the sizes may come from a file); mirrors
    /// ``denseStack(input:spec:store:seed:)``.
    static func parameterCount(_ spec: ObservationEmbeddingSpec) -> Checked {
        var input = Checked(1)
        for extent in spec.shape { input = input * Checked(extent) }
        guard let inputSize = input.value, inputSize < Int.max / 2 else { return Checked(nil) }
        let hidden = max((inputSize + spec.dimension) / 2, 1)
        var total = Checked(0)
        var width = inputSize
        for layer in 0..<spec.depth {
            let output = layer == spec.depth - 1 ? spec.dimension : hidden
            total = total + Checked(output) * Checked(width + 1)
            width = output
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
        for (part, input) in zip(parts, inputs) {
            switch part {
            case .feedForward(let layers):
                let spec = specs[cache.layers.count]
                var x = input
                for i in x.scalars.indices { x.scalars[i] = (x.scalars[i] - spec.offset) / spec.scale }
                var records: [(Matrix, Matrix, Matrix)] = []
                for layer in layers {
                    let z = layer.forward(x, store: store)
                    let y = Activation.relu.forward(z)
                    records.append((x, z, y))
                    x = y
                }
                output.copyColumns(from: x, to: column)
                column += x.columns
                cache.layers.append(records)
            }
        }
        return (output, cache)
    }

    /// Accumulates the parameters' gradients for `outputGradient` (batch × ``dimension``).
    func backward(_ cache: Cache, _ outputGradient: Matrix, store: ParameterStore) {
        var column = 0
        for (p, part) in parts.enumerated() {
            switch part {
            case .feedForward(let layers):
                var dy = outputGradient.columns(column..<(column + specs[p].dimension))
                column += specs[p].dimension
                for (layer, record) in zip(layers, cache.layers[p]).reversed() {
                    let dz = Activation.relu.backward(input: record.preActivation, output: record.output, outputGradient: dy)
                    dy = layer.backward(input: record.input, outputGradient: dz, store: store)
                }
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
