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
/// when a float64 file is resumed in float32). In float32 the per-element arithmetic is float32 too, 16 lanes at a
/// time (float64 arithmetic on float32 storage measured 2–3× slower on gum's 2.5 M parameters), while the
/// bias corrections `1 − βᵗ` stay float64, computed once per segment: in float32 they cancel catastrophically
/// (`1 − Float(0.999)` is off by 1.3·10⁻⁵ relatively, about 200 units of roundoff).
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
                                Adam.updateFloat32(
                                    values: values.float32, gradients: gradients.float32, first: m, second: v,
                                    range: segment.start..<end,
                                    coefficients: Float32Coefficients(
                                        beta1: beta1, beta2: beta2, epsilon: epsilon, decay: decay,
                                        stepSize: stepSize, rootCorrection2: rootCorrection2))
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

/// Adam's scalars for the float32 loop: rounded once from their float64 values.
private struct Float32Coefficients {
    var beta1, oneMinusBeta1, beta2, oneMinusBeta2, epsilon, decay, stepSize, inverseRootCorrection2: Float

    init(beta1: Double, beta2: Double, epsilon: Double, decay: Double, stepSize: Double, rootCorrection2: Double) {
        self.beta1 = Float(beta1)
        oneMinusBeta1 = Float(1 - beta1)
        self.beta2 = Float(beta2)
        oneMinusBeta2 = Float(1 - beta2)
        self.epsilon = Float(epsilon)
        self.decay = Float(decay)
        self.stepSize = Float(stepSize)
        inverseRootCorrection2 = Float(1 / rootCorrection2)
    }
}

extension Adam {
    /// The float32 update of `range`: explicit 16-lane vectors (the compiler leaves the scalar loop unvectorized),
    /// then the remaining elements one by one with the same arithmetic.
    fileprivate static func updateFloat32(
        values w: UnsafeMutableBufferPointer<Float>, gradients g: UnsafeMutableBufferPointer<Float>,
        first m: UnsafeMutableBufferPointer<Float>, second v: UnsafeMutableBufferPointer<Float>, range: Range<Int>,
        coefficients k: Float32Coefficients
    ) {
        guard !range.isEmpty else { return }
        precondition(range.upperBound <= min(w.count, g.count, m.count, v.count), "Adam: range out of bounds")
        typealias Lanes = SIMD16<Float>
        // Non-empty buffers (checked above), so the base addresses are non-nil.
        let (wp, gp) = (UnsafeMutableRawPointer(w.baseAddress!), UnsafeMutableRawPointer(g.baseAddress!))
        let (mp, vp) = (UnsafeMutableRawPointer(m.baseAddress!), UnsafeMutableRawPointer(v.baseAddress!))
        var i = range.lowerBound
        while i + Lanes.scalarCount <= range.upperBound {
            let offset = i * MemoryLayout<Float>.stride
            let weight = wp.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
            let gradient = gp.loadUnaligned(fromByteOffset: offset, as: Lanes.self) + k.decay * weight
            let m1 = k.beta1 * mp.loadUnaligned(fromByteOffset: offset, as: Lanes.self) + k.oneMinusBeta1 * gradient
            let v1 =
                k.beta2 * vp.loadUnaligned(fromByteOffset: offset, as: Lanes.self) + k.oneMinusBeta2 * gradient
                * gradient
            mp.storeBytes(of: m1, toByteOffset: offset, as: Lanes.self)
            vp.storeBytes(of: v1, toByteOffset: offset, as: Lanes.self)
            let step = k.stepSize * m1 / (v1.squareRoot() * k.inverseRootCorrection2 + k.epsilon)
            wp.storeBytes(of: weight - step, toByteOffset: offset, as: Lanes.self)
            i += Lanes.scalarCount
        }
        while i < range.upperBound {
            let gradient = g[i] + k.decay * w[i]
            let m1 = k.beta1 * m[i] + k.oneMinusBeta1 * gradient
            let v1 = k.beta2 * v[i] + k.oneMinusBeta2 * gradient * gradient
            m[i] = m1
            v[i] = v1
            w[i] -= k.stepSize * m1 / (v1.squareRoot() * k.inverseRootCorrection2 + k.epsilon)
            i += 1
        }
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
