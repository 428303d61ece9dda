public import LumisTensor

extension Distribution {
    /// Draws one value: a tensor of ``valueShape`` whose elements are independent draws with the broadcast
    /// parameters.
    ///
    /// Discrete kinds (Categorical, Poisson, Bernoulli, Binomial) give integers as `Double`; Categorical gives
    /// the index into the last axis of `probs`. A single-element value takes the ``sampleScalar(using:)`` path and
    /// allocates only the result. Algorithms: Normal by Marsaglia's polar method; Gamma by Marsaglia–Tsang (with
    /// the `U^(1/α)` boost below 1); Beta from two Gammas; Poisson by inversion below rate 10, else Hörmann's
    /// PTRS; Binomial by inversion when `n·min(p, 1−p) < 10`, else Hörmann's BTRS; Exponential and Weibull by
    /// inversion; LogNormal as `exp` of a Normal; Categorical by inverse CDF.
    /// - Parameter generator: the source of randomness; the draw is a pure function of its state.
    /// - Precondition: the parameter shapes broadcast. Call ``validate()`` first: invalid parameters give
    ///   unspecified values (often NaN), though never a trap or a hang.
    /// - Complexity: O(elements) expected, plus O(K) per element for Categorical.
    public func sample(using generator: inout some RandomNumberGenerator) -> Tensor {
        let shape = valueShape
        let count = Tensor.elementCount(of: shape) ?? 0
        if count == 1 { return Tensor(shape: shape, scalars: [sampleScalar(using: &generator)]) }
        switch self {
        case .normal(let a, let b):
            return .broadcasting(shape: shape, a.shape, b.shape) {
                Variates.normal(a.scalars[$0.0], b.scalars[$0.1], &generator)
            }
        case .uniform(let a, let b):
            return .broadcasting(shape: shape, a.shape, b.shape) {
                Variates.uniform(a.scalars[$0.0], b.scalars[$0.1], &generator)
            }
        case .categorical(let probs):
            let width = probs.shape.last ?? 1
            return .broadcasting(shape: shape, shape) {
                Variates.categorical(probs.scalars, start: $0.0 * width, count: width, &generator)
            }
        case .poisson(let a):
            return .broadcasting(shape: shape, a.shape) { Variates.poisson(a.scalars[$0.0], &generator) }
        case .bernoulli(let a):
            return .broadcasting(shape: shape, a.shape) { Variates.bernoulli(a.scalars[$0.0], &generator) }
        case .beta(let a, let b):
            return .broadcasting(shape: shape, a.shape, b.shape) {
                Variates.beta(a.scalars[$0.0], b.scalars[$0.1], &generator)
            }
        case .exponential(let a):
            return .broadcasting(shape: shape, a.shape) { Variates.exponential(a.scalars[$0.0], &generator) }
        case .gamma(let a, let b):
            return .broadcasting(shape: shape, a.shape, b.shape) {
                Variates.gamma(a.scalars[$0.0], b.scalars[$0.1], &generator)
            }
        case .logNormal(let a, let b):
            return .broadcasting(shape: shape, a.shape, b.shape) {
                Variates.logNormal(a.scalars[$0.0], b.scalars[$0.1], &generator)
            }
        case .binomial(let a, let b):
            return .broadcasting(shape: shape, a.shape, b.shape) {
                Variates.binomial(a.scalars[$0.0], b.scalars[$0.1], &generator)
            }
        case .weibull(let a, let b):
            return .broadcasting(shape: shape, a.shape, b.shape) {
                Variates.weibull(a.scalars[$0.0], b.scalars[$0.1], &generator)
            }
        }
    }

    /// Draws one value of a distribution whose value has a single element, without allocating.
    ///
    /// ``sample(using:)`` uses this path whenever ``valueShape`` holds one element; the two give the same draw
    /// for the same generator state.
    /// - Precondition: every parameter has one element (Categorical: `probs` is a single row).
    public func sampleScalar(using generator: inout some RandomNumberGenerator) -> Double {
        switch self {
        case .normal(let a, let b): Variates.normal(a.single, b.single, &generator)
        case .uniform(let a, let b): Variates.uniform(a.single, b.single, &generator)
        case .categorical(let probs):
            Variates.categorical(probs.scalars, start: 0, count: probs.singleRowWidth, &generator)
        case .poisson(let a): Variates.poisson(a.single, &generator)
        case .bernoulli(let a): Variates.bernoulli(a.single, &generator)
        case .beta(let a, let b): Variates.beta(a.single, b.single, &generator)
        case .exponential(let a): Variates.exponential(a.single, &generator)
        case .gamma(let a, let b): Variates.gamma(a.single, b.single, &generator)
        case .logNormal(let a, let b): Variates.logNormal(a.single, b.single, &generator)
        case .binomial(let a, let b): Variates.binomial(a.single, b.single, &generator)
        case .weibull(let a, let b): Variates.weibull(a.single, b.single, &generator)
        }
    }
}

extension Tensor {
    /// The only element of a parameter that must hold exactly one.
    var single: Double {
        precondition(scalarCount == 1, "Expected a one-element parameter, got shape \(shape)")
        return scalars[0]
    }

    /// The number of categories of a Categorical `probs` holding a single row.
    var singleRowWidth: Int {
        let width = shape.last ?? 1
        precondition(width > 0 && scalarCount == width, "Expected a single row of probs, got shape \(shape)")
        return width
    }
}
