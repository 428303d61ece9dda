/// Stochastic gradient descent with optional (Nesterov) momentum, as PyTorch's `SGD` with zero dampening.
///
/// With `g ← g + weightDecay · w`:
/// ```
/// b ← momentum · b + g
/// w ← w − lr · (nesterov ? g + momentum · b : b)
/// ```
/// The velocity `b` starts at zero, which equals PyTorch's "b = g on the first step". Parameters added to the
/// store join with zero velocity; existing velocities are kept. Velocities are float64 whatever the store's
/// precision (values and gradients are read in it, and values rounded once when stored).
public struct SGD: GradientOptimizer, Equatable {
    /// The step size.
    public var learningRate: Double
    /// The momentum coefficient; 0 for plain SGD.
    public let momentum: Double
    /// Whether to use Nesterov's lookahead form.
    public let nesterov: Bool
    /// The L2 penalty coefficient.
    public let weightDecay: Double
    /// The number of updates made so far.
    public private(set) var step: Int = 0
    /// The momentum buffers, one per parameter seen so far (empty when `momentum == 0`).
    public internal(set) var velocities: [Double] = []

    /// Creates an SGD optimizer.
    ///
    /// - Precondition: `learningRate >= 0`, `momentum >= 0`, `weightDecay >= 0`, and `momentum > 0` if
    ///   `nesterov`.
    public init(learningRate: Double, momentum: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) {
        precondition(learningRate >= 0 && learningRate.isFinite, "SGD learning rate \(learningRate) is invalid")
        precondition(momentum >= 0 && momentum.isFinite, "SGD momentum \(momentum) is invalid")
        precondition(!nesterov || momentum > 0, "Nesterov momentum needs momentum > 0")
        precondition(weightDecay >= 0 && weightDecay.isFinite, "SGD weight decay \(weightDecay) is invalid")
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    /// Restores a saved state (parameter files).
    init(
        learningRate: Double, momentum: Double, nesterov: Bool, weightDecay: Double, step: Int, velocities: [Double]
    ) {
        self.init(learningRate: learningRate, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
        self.step = step
        self.velocities = velocities
    }

    /// One SGD update of every parameter in `store`.
    ///
    /// - Precondition: the store has not shrunk since the last update.
    public mutating func update(_ store: ParameterStore, applyingWeightDecay: Bool) {
        precondition(store.count >= velocities.count, "SGD: the parameter store shrank")
        step += 1
        let decay = applyingWeightDecay ? weightDecay : 0
        let (learningRate, momentum, nesterov) = (learningRate, momentum, nesterov)
        if momentum == 0 {
            store.withMutableValues { values in
                store.withGradients { gradients in
                    for i in 0..<values.count { values[i] -= learningRate * (gradients[i] + decay * values[i]) }
                }
            }
            return
        }
        if store.count > velocities.count {
            velocities.append(contentsOf: repeatElement(0, count: store.count - velocities.count))
        }
        store.withMutableValues { values in
            store.withGradients { gradients in
                velocities.withUnsafeMutableBufferPointer { b in
                    for i in 0..<values.count {
                        let g = gradients[i] + decay * values[i]
                        b[i] = momentum * b[i] + g
                        values[i] -= learningRate * (nesterov ? g + momentum * b[i] : b[i])
                    }
                }
            }
        }
    }
}
