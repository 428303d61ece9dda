/// Layer-wise adaptive rate clipping (You, Gitman & Ginsburg 2017) wrapped around another optimizer, as pyprob's
/// `ADAM_LARC` / `SGD_LARC` (docs/reference/pyprob-engine.md §4.9).
///
/// For each parameter tensor (each range of the store) with weights `w` and gradient `g`:
/// ```
/// local = trust · ‖w‖ / (‖g‖ + wd · ‖w‖ + ε)    if ‖w‖ ≠ 0 and ‖g‖ ≠ 0, else fallbackRate (1/16000)
/// scale = clip ? min(local / lr, 1) : local
/// g ← (g + wd · w) · scale
/// ```
/// then the base optimizer steps with its own weight decay switched off (LARC has applied it). The gradients in
/// the store are overwritten with the scaled ones.
public struct LARC<Base: GradientOptimizer>: GradientOptimizer {
    /// The wrapped optimizer.
    public var base: Base
    /// The trust coefficient (pyprob: 0.002).
    public let trustCoefficient: Double
    /// Whether the local rate is clipped relative to the learning rate (pyprob's mode) or used as is.
    public let clip: Bool
    /// Added to the denominator.
    public let epsilon: Double
    /// The local rate used for a tensor whose weights or gradient are all zero.
    public let fallbackRate: Double

    /// Wraps `base`.
    ///
    /// - Precondition: the coefficients are positive and finite.
    public init(
        _ base: Base, trustCoefficient: Double = 0.002, clip: Bool = true, epsilon: Double = 1e-8,
        fallbackRate: Double = 1.0 / 16000
    ) {
        precondition(trustCoefficient > 0 && trustCoefficient.isFinite, "LARC trust coefficient must be positive")
        precondition(
            epsilon > 0 && fallbackRate > 0 && fallbackRate.isFinite, "LARC epsilon and fallback must be positive")
        self.base = base
        self.trustCoefficient = trustCoefficient
        self.clip = clip
        self.epsilon = epsilon
        self.fallbackRate = fallbackRate
    }

    /// The base optimizer's learning rate.
    public var learningRate: Double {
        get { base.learningRate }
        set { base.learningRate = newValue }
    }

    /// The base optimizer's weight decay (applied by LARC before scaling).
    public var weightDecay: Double { base.weightDecay }

    /// The base optimizer's step count.
    public var step: Int { base.step }

    /// The factor LARC multiplies the (decayed) gradient of a tensor by, given the norms of its weights and
    /// gradient.
    public func scale(weightNorm: Double, gradientNorm: Double, weightDecay: Double) -> Double {
        let local =
            weightNorm != 0 && gradientNorm != 0
            ? trustCoefficient * weightNorm / (gradientNorm + weightDecay * weightNorm + epsilon) : fallbackRate
        return clip ? min(local / learningRate, 1) : local
    }

    /// Scales each tensor's gradient, then steps the base optimizer without weight decay.
    public mutating func update(_ store: ParameterStore, applyingWeightDecay: Bool) {
        let decay = applyingWeightDecay ? base.weightDecay : 0
        for range in store.ranges {
            store.withValues { values in
                store.withGradients { gradients in
                    var weightSquares = 0.0
                    var gradientSquares = 0.0
                    for i in range.start..<range.end {
                        weightSquares += values[i] * values[i]
                        gradientSquares += gradients[i] * gradients[i]
                    }
                    let factor = scale(
                        weightNorm: weightSquares.squareRoot(), gradientNorm: gradientSquares.squareRoot(),
                        weightDecay: decay)
                    for i in range.start..<range.end { gradients[i] = (gradients[i] + decay * values[i]) * factor }
                }
            }
        }
        base.update(store, applyingWeightDecay: false)
    }
}

extension LARC: Equatable where Base: Equatable {}
