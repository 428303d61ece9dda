public import LumisTensor

extension Distribution {
    /// The parameter shapes broadcast together (Categorical: probs' shape without its last axis), or `nil`.
    var broadcastValueShape: [Int]? {
        switch self {
        case .categorical(let probs):
            return Array(probs.shape.dropLast())
        case .poisson(let a), .bernoulli(let a), .exponential(let a):
            return a.shape
        case .normal(let a, let b), .uniform(let a, let b), .beta(let a, let b), .gamma(let a, let b),
            .logNormal(let a, let b), .binomial(let a, let b), .weibull(let a, let b):
            if a.shape == b.shape { return a.shape }
            return broadcastShape(a.shape, b.shape)
        }
    }

    /// The shape of a value of this distribution.
    ///
    /// The broadcast of the parameter shapes; for Categorical, the shape of `probs` without its last axis (`[]`
    /// for a 1-D or 0-D `probs`, the latter being read as one category, as pyprob reads a 0-D tensor as 1-D).
    /// - Precondition: the parameter shapes broadcast (``validate()`` checks this).
    public var valueShape: [Int] {
        guard let shape = broadcastValueShape else {
            preconditionFailure("\(kind.name) parameter shapes \(parameters.map(\.shape)) do not broadcast")
        }
        return shape
    }

    /// Whether a value of `shape` can be scored by ``logProb(of:)``: it broadcasts with ``valueShape``.
    ///
    /// Use it (or ``validateValue(_:)``) on values from outside before calling ``logProb(of:)``.
    public func valueShapeMatches(_ shape: [Int]) -> Bool {
        guard let own = broadcastValueShape else { return false }
        return own == shape || broadcastShape(own, shape) != nil
    }

    /// Checks that the parameters define a distribution; call it on everything that arrives from outside.
    ///
    /// The accepted set is pyprob 1.5.0's (torch's argument constraints), except that infinite parameters, which
    /// torch lets through to NaN draws and densities, are rejected (docs/distribution-semantics.md has the table).
    /// Every parameter must be non-empty and finite, the shapes must broadcast (numpy rules), and each kind's
    /// domain must hold: Normal `stddev > 0`; Uniform `low < high`; Categorical `probs ≥ 0` with each row (last
    /// axis) summing to a positive finite number (rows need not sum to 1: ``normalized()`` divides by the sum, as
    /// torch's `Categorical(probs:)` does); Poisson `rate ≥ 0`; Bernoulli and Binomial `probs` in [0, 1]; Binomial `total_count` a non-negative integer;
    /// Beta and Gamma concentrations `> 0`; Gamma and Exponential `rate > 0`; LogNormal `scale > 0`; Weibull
    /// `scale > 0` and `concentration > 0`.
    /// - Throws: the first ``DistributionError`` found, naming the parameter, element and value.
    /// - Complexity: O(number of parameter elements).
    public func validate() throws(DistributionError) {
        let kind = self.kind
        let names = kind.parameterNames
        let parameters = self.parameters
        for (name, parameter) in zip(names, parameters) {
            guard !parameter.isEmpty else { throw .emptyParameter(kind, parameter: name) }
            try Self.require(parameter, kind, name, .finite) { $0.isFinite }
        }
        guard broadcastValueShape != nil else {
            throw .incompatibleShapes(kind, parameterShapes: parameters.map(\.shape))
        }
        switch self {
        case .normal(_, let stddev):
            try Self.require(stddev, kind, names[1], .positive) { $0 > 0 }
        case .uniform(let low, let high):
            let shape = valueShape
            var walk = BroadcastWalk(shape: shape, low.shape, high.shape)
            for _ in 0..<(Tensor.elementCount(of: shape) ?? 0) {
                let (i, j, _) = walk.offsets
                let l = low.scalars[i]
                let h = high.scalars[j]
                guard l < h else {
                    throw .invalidParameter(
                        kind, parameter: names[0], index: i, value: l, requirement: .lessThanHigh(h))
                }
                walk.advance()
            }
        case .categorical(let probs):
            try Self.require(probs, kind, names[0], .nonNegative) { $0 >= 0 }
            let width = probs.shape.last ?? 1
            for row in 0..<(probs.scalarCount / width) {
                var sum = 0.0
                for k in 0..<width { sum += probs.scalars[row * width + k] }
                guard sum > 0 && sum.isFinite else { throw .probsRowSum(kind, row: row, sum: sum) }
            }
        case .poisson(let rate):
            try Self.require(rate, kind, names[0], .nonNegative) { $0 >= 0 }
        case .bernoulli(let probs):
            try Self.require(probs, kind, names[0], .unitInterval) { $0 >= 0 && $0 <= 1 }
        case .binomial(let totalCount, let probs):
            try Self.require(totalCount, kind, names[0], .nonNegativeInteger) { $0 >= 0 && $0.rounded() == $0 }
            try Self.require(probs, kind, names[1], .unitInterval) { $0 >= 0 && $0 <= 1 }
        case .beta(let a, let b), .gamma(let a, let b), .weibull(let a, let b):
            try Self.require(a, kind, names[0], .positive) { $0 > 0 }
            try Self.require(b, kind, names[1], .positive) { $0 > 0 }
        case .logNormal(_, let scale):
            try Self.require(scale, kind, names[1], .positive) { $0 > 0 }
        case .exponential(let rate):
            try Self.require(rate, kind, names[0], .positive) { $0 > 0 }
        }
    }

    /// The distribution as pyprob reads it: each Categorical row divided by its sum (torch's `Categorical(probs:)`
    /// normalisation, so `[1, 1, 1]` means `[1/3, 1/3, 1/3]`); every other kind is returned unchanged.
    ///
    /// Rows that already sum to exactly 1 are left bit for bit, so the common case does not allocate.
    /// - Precondition: the distribution passed ``validate()``.
    /// - Complexity: O(number of probs) for Categorical, O(1) otherwise.
    public func normalized() -> Distribution {
        guard case .categorical(let probs) = self else { return self }
        let width = probs.shape.last ?? 1
        var scalars = probs.scalars
        var changed = false
        for row in 0..<(probs.scalarCount / width) {
            let range = (row * width)..<(row * width + width)
            let sum = scalars[range].reduce(0, +)
            guard sum != 1 else { continue }
            changed = true
            for k in range { scalars[k] /= sum }
        }
        return changed ? .categorical(probs: Tensor(shape: probs.shape, scalars: scalars)) : self
    }

    /// Checks an observed value from outside against this (valid) distribution.
    ///
    /// The value must be non-empty, free of NaN, and its shape must broadcast with ``valueShape`` (pyprob scores
    /// a value by broadcasting it against the parameters, e.g. a vector of i.i.d. observations under a scalar
    /// Normal). Infinite or out-of-support values pass: their log density is simply `-infinity`.
    /// - Throws: ``DistributionError/emptyValue(_:)``, ``DistributionError/valueShapeMismatch(_:valueShape:expected:)``
    ///   or ``DistributionError/nanValue(_:index:)``; ``DistributionError/incompatibleShapes(_:parameterShapes:)``
    ///   if the parameters themselves do not broadcast.
    public func validateValue(_ value: Tensor) throws(DistributionError) {
        guard let shape = broadcastValueShape else {
            throw .incompatibleShapes(kind, parameterShapes: parameters.map(\.shape))
        }
        guard !value.isEmpty else { throw .emptyValue(kind) }
        guard valueShapeMatches(value.shape) else {
            throw .valueShapeMismatch(kind, valueShape: value.shape, expected: shape)
        }
        if let index = value.scalars.firstIndex(where: \.isNaN) { throw .nanValue(kind, index: index) }
    }

    private static func require(
        _ parameter: Tensor, _ kind: DistributionKind, _ name: String, _ requirement: DistributionError.Requirement,
        _ holds: (Double) -> Bool
    ) throws(DistributionError) {
        for (index, value) in parameter.scalars.enumerated() where !holds(value) {
            throw .invalidParameter(kind, parameter: name, index: index, value: value, requirement: requirement)
        }
    }
}
