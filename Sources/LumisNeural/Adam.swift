import RealModule

/// Adam (Kingma & Ba 2015) as PyTorch implements it, over a whole ``ParameterStore``.
///
/// For each parameter, with `g ← g + weightDecay · w` (L2 penalty, PyTorch's `weight_decay`):
/// ```
/// m ← β₁ m + (1 − β₁) g        v ← β₂ v + (1 − β₂) g²
/// w ← w − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
/// ```
/// `t` counts the updates a parameter has taken part in, as PyTorch keeps one step count per parameter: when the
/// store grows, the new parameters start with zero moments and their own `t = 1`, so their first steps are
/// bias-corrected correctly while the existing parameters keep their moments and counts.
public struct Adam: GradientOptimizer, Equatable {
    /// The step size.
    public var learningRate: Double
    /// The decay rate of the first-moment estimate.
    public let beta1: Double
    /// The decay rate of the second-moment estimate.
    public let beta2: Double
    /// Added to the denominator for numerical stability.
    public let epsilon: Double
    /// The L2 penalty coefficient.
    public let weightDecay: Double
    /// The number of updates made so far.
    public private(set) var step: Int = 0
    /// The first-moment estimates, one per parameter seen so far.
    public internal(set) var firstMoments: [Double] = []
    /// The second-moment estimates, one per parameter seen so far.
    public internal(set) var secondMoments: [Double] = []
    /// Where each group of parameters added together starts, and how many updates preceded its arrival.
    var segments: [Segment] = []

    /// A block of parameters that joined the optimizer at one update.
    struct Segment: Sendable, Equatable {
        /// The index of its first parameter.
        var start: Int
        /// The updates made before it joined; its own step count is `step - stepsBefore`.
        var stepsBefore: Int
    }

    /// Creates an Adam optimizer with PyTorch's defaults.
    ///
    /// - Precondition: `learningRate >= 0`, `0 <= beta1, beta2 < 1`, `epsilon > 0`, `weightDecay >= 0`.
    public init(
        learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
        weightDecay: Double = 0
    ) {
        precondition(learningRate >= 0 && learningRate.isFinite, "Adam learning rate \(learningRate) is invalid")
        precondition(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "Adam betas \(beta1), \(beta2) not in [0, 1)")
        precondition(epsilon > 0, "Adam epsilon \(epsilon) must be positive")
        precondition(weightDecay >= 0 && weightDecay.isFinite, "Adam weight decay \(weightDecay) is invalid")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// Restores a saved state (parameter files).
    init(
        learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double, step: Int,
        firstMoments: [Double], secondMoments: [Double], segments: [Segment]
    ) {
        self.init(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
        self.step = step
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
        self.segments = segments
    }

    /// One Adam update of every parameter in `store`.
    ///
    /// - Precondition: the store has not shrunk since the last update.
    public mutating func update(_ store: ParameterStore, applyingWeightDecay: Bool) {
        precondition(store.count >= firstMoments.count, "Adam: the parameter store shrank")
        precondition(store.gradients.count == store.count, "Adam: gradients and values differ in count")
        if store.count > firstMoments.count {
            segments.append(Segment(start: firstMoments.count, stepsBefore: step))
            let added = store.count - firstMoments.count
            firstMoments.append(contentsOf: repeatElement(0, count: added))
            secondMoments.append(contentsOf: repeatElement(0, count: added))
        }
        step += 1
        let (beta1, beta2, epsilon, learningRate) = (beta1, beta2, epsilon, learningRate)
        let decay = applyingWeightDecay ? weightDecay : 0
        let total = store.count
        for (index, segment) in segments.enumerated() {
            let end = index + 1 < segments.count ? segments[index + 1].start : total
            let t = Double(step - segment.stepsBefore)
            let correction1 = 1 - Double.pow(beta1, t)
            let correction2 = 1 - Double.pow(beta2, t)
            let stepSize = learningRate / correction1
            let rootCorrection2 = correction2.squareRoot()
            store.values.withUnsafeMutableBufferPointer { values in
                store.gradients.withUnsafeBufferPointer { gradients in
                    firstMoments.withUnsafeMutableBufferPointer { m in
                        secondMoments.withUnsafeMutableBufferPointer { v in
                            for i in segment.start..<end {
                                let g = gradients[i] + decay * values[i]
                                m[i] = beta1 * m[i] + (1 - beta1) * g
                                v[i] = beta2 * v[i] + (1 - beta2) * g * g
                                values[i] -= stepSize * m[i] / (v[i].squareRoot() / rootCorrection2 + epsilon)
                            }
                        }
                    }
                }
            }
        }
    }
}
