public import LumisTensor

extension Distribution {
    /// The log density (continuous kinds) or log mass (discrete kinds) of `value`, summed over all elements.
    ///
    /// `value` is broadcast against the parameters, as pyprob (torch) does: a vector of observations under a
    /// scalar Normal scores each observation. Values outside the support give `-infinity`, as in pyprob; this is
    /// not an error. So do ±∞ and NaN, and non-integers under a discrete kind. Uniform's support is
    /// [low, high) (pyprob: the log density at `high` is `-infinity`); Beta's is [0, 1]; LogNormal's is
    /// (0, ∞). Categorical rows are normalised by their sum (validation keeps that sum within `1e-6·K` of 1).
    /// - Precondition: `valueShapeMatches(value.shape)`. Values from outside should pass ``validateValue(_:)``
    ///   first; the parameters should pass ``validate()`` (else the result is unspecified, possibly NaN).
    /// - Complexity: O(elements of the broadcast shape), times K for Categorical.
    public func logProb(of value: Tensor) -> Double {
        precondition(valueShapeMatches(value.shape), "\(kind.name) value shape \(value.shape) does not broadcast")
        let own = valueShape
        if value.scalarCount == 1 && Tensor.elementCount(of: own) == 1 {
            return logProbScalar(of: value.scalars[0])
        }
        let shape = own == value.shape ? own : broadcastShape(own, value.shape) ?? own
        let x = value.scalars
        switch self {
        case .normal(let a, let b):
            return Self.sum(shape, a.shape, b.shape, value) {
                Densities.normal(x[$0.2], a.scalars[$0.0], b.scalars[$0.1])
            }
        case .uniform(let a, let b):
            return Self.sum(shape, a.shape, b.shape, value) {
                Densities.uniform(x[$0.2], a.scalars[$0.0], b.scalars[$0.1])
            }
        case .categorical(let probs):
            let width = probs.shape.last ?? 1
            return Self.sum(shape, own, [], value) {
                Densities.categorical(x[$0.2], probs.scalars, start: $0.0 * width, count: width)
            }
        case .poisson(let a):
            return Self.sum(shape, a.shape, [], value) { Densities.poisson(x[$0.2], a.scalars[$0.0]) }
        case .bernoulli(let a):
            return Self.sum(shape, a.shape, [], value) { Densities.bernoulli(x[$0.2], a.scalars[$0.0]) }
        case .beta(let a, let b):
            return Self.sum(shape, a.shape, b.shape, value) {
                Densities.beta(x[$0.2], a.scalars[$0.0], b.scalars[$0.1])
            }
        case .exponential(let a):
            return Self.sum(shape, a.shape, [], value) { Densities.exponential(x[$0.2], a.scalars[$0.0]) }
        case .gamma(let a, let b):
            return Self.sum(shape, a.shape, b.shape, value) {
                Densities.gamma(x[$0.2], a.scalars[$0.0], b.scalars[$0.1])
            }
        case .logNormal(let a, let b):
            return Self.sum(shape, a.shape, b.shape, value) {
                Densities.logNormal(x[$0.2], a.scalars[$0.0], b.scalars[$0.1])
            }
        case .binomial(let a, let b):
            return Self.sum(shape, a.shape, b.shape, value) {
                Densities.binomial(x[$0.2], a.scalars[$0.0], b.scalars[$0.1])
            }
        case .weibull(let a, let b):
            return Self.sum(shape, a.shape, b.shape, value) {
                Densities.weibull(x[$0.2], a.scalars[$0.0], b.scalars[$0.1])
            }
        }
    }

    /// The log density or mass of the single value `x`, without allocating; see ``logProb(of:)``.
    ///
    /// - Precondition: every parameter has one element (Categorical: `probs` is a single row).
    public func logProbScalar(of x: Double) -> Double {
        let isFinite = x.isFinite
        switch self {
        case .normal(let a, let b):
            return isFinite ? Densities.normal(x, a.single, b.single) : Self.outside(a, b)
        case .uniform(let a, let b):
            return isFinite ? Densities.uniform(x, a.single, b.single) : Self.outside(a, b)
        case .categorical(let probs):
            let width = probs.singleRowWidth
            return isFinite ? Densities.categorical(x, probs.scalars, start: 0, count: width) : -.infinity
        case .poisson(let a):
            return isFinite ? Densities.poisson(x, a.single) : Self.outside(a, a)
        case .bernoulli(let a):
            return isFinite ? Densities.bernoulli(x, a.single) : Self.outside(a, a)
        case .beta(let a, let b):
            return isFinite ? Densities.beta(x, a.single, b.single) : Self.outside(a, b)
        case .exponential(let a):
            return isFinite ? Densities.exponential(x, a.single) : Self.outside(a, a)
        case .gamma(let a, let b):
            return isFinite ? Densities.gamma(x, a.single, b.single) : Self.outside(a, b)
        case .logNormal(let a, let b):
            return isFinite ? Densities.logNormal(x, a.single, b.single) : Self.outside(a, b)
        case .binomial(let a, let b):
            return isFinite ? Densities.binomial(x, a.single, b.single) : Self.outside(a, b)
        case .weibull(let a, let b):
            return isFinite ? Densities.weibull(x, a.single, b.single) : Self.outside(a, b)
        }
    }

    /// `-infinity`, after checking the one-element precondition the finite path checks.
    private static func outside(_ a: Tensor, _ b: Tensor) -> Double {
        _ = (a.single, b.single)
        return -.infinity
    }

    /// Σ `density(offsets)` over the broadcast `shape`, where the offsets index operands of shapes `first`,
    /// `second` and the value.
    ///
    /// A non-finite value element contributes `-infinity` without calling `density`, and
    /// the first `-infinity` ends the sum (so a `+infinity` density elsewhere cannot turn it into NaN).
    private static func sum(
        _ shape: [Int], _ first: [Int], _ second: [Int], _ value: Tensor,
        _ density: (_ offsets: (Int, Int, Int)) -> Double
    ) -> Double {
        var walk = BroadcastWalk(shape: shape, first, second, value.shape)
        var total = 0.0
        for _ in 0..<(Tensor.elementCount(of: shape) ?? 0) {
            let offsets = walk.offsets
            let term = value.scalars[offsets.2].isFinite ? density(offsets) : -.infinity
            if term == -.infinity { return -.infinity }
            total += term
            walk.advance()
        }
        return total
    }
}
