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
///
/// The moments are stored in the store's ``Precision`` (converted at the first update if the store's differs, as
/// when a float64 file is resumed in float32); the per-element arithmetic and the bias corrections are float64 in
/// both, each moment and value being rounded once when stored. The loop is bound by memory traffic, so float32
/// storage halves its time.
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
    /// The first-moment estimates, one per parameter seen so far, in their storage format.
    public internal(set) var storedFirstMoments: ScalarArray = .float64([])
    /// The second-moment estimates, one per parameter seen so far, in their storage format.
    public internal(set) var storedSecondMoments: ScalarArray = .float64([])

    /// The first-moment estimates as float64.
    public var firstMoments: [Double] { storedFirstMoments.doubles }
    /// The second-moment estimates as float64.
    public var secondMoments: [Double] { storedSecondMoments.doubles }
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
        firstMoments: ScalarArray, secondMoments: ScalarArray, segments: [Segment]
    ) {
        self.init(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
        self.step = step
        // No moments yet has one representation, whatever the file's precision, so that states compare equal.
        self.storedFirstMoments = firstMoments.count == 0 ? .float64([]) : firstMoments
        self.storedSecondMoments = secondMoments.count == 0 ? .float64([]) : secondMoments
        self.segments = segments
    }

    /// One Adam update of every parameter in `store`.
    ///
    /// - Precondition: the store has not shrunk since the last update.
    public mutating func update(_ store: ParameterStore, applyingWeightDecay: Bool) {
        let seen = storedFirstMoments.count
        precondition(store.count >= seen, "Adam: the parameter store shrank")
        // Take the moments out of `self` so that they are uniquely referenced and updated in place.
        var first = Moments(storedFirstMoments, precision: store.precision)
        var second = Moments(storedSecondMoments, precision: store.precision)
        storedFirstMoments = .float64([])
        storedSecondMoments = .float64([])
        if store.count > seen {
            segments.append(Segment(start: seen, stepsBefore: step))
            first.grow(to: store.count)
            second.grow(to: store.count)
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
            store.withMutableValues { values in
                store.withGradients { gradients in
                    if values.isFloat32 {
                        first.float32.withUnsafeMutableBufferPointer { m in
                            second.float32.withUnsafeMutableBufferPointer { v in
                                let (w, g) = (values.float32, gradients.float32)
                                for i in segment.start..<end {
                                    let weight = Double(w[i])
                                    let gradient = Double(g[i]) + decay * weight
                                    let m1 = beta1 * Double(m[i]) + (1 - beta1) * gradient
                                    let v1 = beta2 * Double(v[i]) + (1 - beta2) * gradient * gradient
                                    m[i] = Float(m1)
                                    v[i] = Float(v1)
                                    w[i] = Float(weight - stepSize * m1 / (v1.squareRoot() / rootCorrection2 + epsilon))
                                }
                            }
                        }
                    } else {
                        first.float64.withUnsafeMutableBufferPointer { m in
                            second.float64.withUnsafeMutableBufferPointer { v in
                                let (w, g) = (values.float64, gradients.float64)
                                for i in segment.start..<end {
                                    let gradient = g[i] + decay * w[i]
                                    m[i] = beta1 * m[i] + (1 - beta1) * gradient
                                    v[i] = beta2 * v[i] + (1 - beta2) * gradient * gradient
                                    w[i] -= stepSize * m[i] / (v[i].squareRoot() / rootCorrection2 + epsilon)
                                }
                            }
                        }
                    }
                }
            }
        }
        storedFirstMoments = first.array
        storedSecondMoments = second.array
    }
}

/// A moment array being updated: one of the two is used, per the store's precision.
private struct Moments {
    var float64: [Double] = []
    var float32: [Float] = []
    let precision: Precision

    init(_ stored: ScalarArray, precision: Precision) {
        self.precision = precision
        switch stored.converted(to: precision) {
        case .float64(let values): float64 = values
        case .float32(let values): float32 = values
        }
    }

    mutating func grow(to count: Int) {
        if precision == .float64 {
            float64.append(contentsOf: repeatElement(0, count: count - float64.count))
        } else {
            float32.append(contentsOf: repeatElement(0, count: count - float32.count))
        }
    }

    var array: ScalarArray { precision == .float64 ? .float64(float64) : .float32(float32) }
}
