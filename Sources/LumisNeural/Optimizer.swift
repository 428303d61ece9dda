/// The optimizers a training run can be configured with, as one concrete value that parameter files save.
public enum Optimizer: GradientOptimizer, Equatable {
    /// Adam.
    case adam(Adam)
    /// SGD with optional momentum.
    case sgd(SGD)
    /// Adam wrapped in LARC (pyprob's `ADAM_LARC`).
    case larcAdam(LARC<Adam>)
    /// SGD wrapped in LARC (pyprob's `SGD_LARC`).
    case larcSGD(LARC<SGD>)

    /// The step size of the next update.
    public var learningRate: Double {
        get {
            switch self {
            case .adam(let o): o.learningRate
            case .sgd(let o): o.learningRate
            case .larcAdam(let o): o.learningRate
            case .larcSGD(let o): o.learningRate
            }
        }
        set {
            switch self {
            case .adam(var o): o.learningRate = newValue; self = .adam(o)
            case .sgd(var o): o.learningRate = newValue; self = .sgd(o)
            case .larcAdam(var o): o.learningRate = newValue; self = .larcAdam(o)
            case .larcSGD(var o): o.learningRate = newValue; self = .larcSGD(o)
            }
        }
    }

    /// The L2 penalty coefficient.
    public var weightDecay: Double {
        switch self {
        case .adam(let o): o.weightDecay
        case .sgd(let o): o.weightDecay
        case .larcAdam(let o): o.weightDecay
        case .larcSGD(let o): o.weightDecay
        }
    }

    /// The number of updates made so far.
    public var step: Int {
        switch self {
        case .adam(let o): o.step
        case .sgd(let o): o.step
        case .larcAdam(let o): o.step
        case .larcSGD(let o): o.step
        }
    }

    /// One update of every parameter in `store`.
    public mutating func update(_ store: ParameterStore, applyingWeightDecay: Bool) {
        // Consuming `self` leaves the payload's moment arrays uniquely referenced, so the update mutates them in
        // place; matching on `self` would keep a second reference and copy every array on each step.
        switch consume self {
        case .adam(var o): o.update(store, applyingWeightDecay: applyingWeightDecay); self = .adam(o)
        case .sgd(var o): o.update(store, applyingWeightDecay: applyingWeightDecay); self = .sgd(o)
        case .larcAdam(var o): o.update(store, applyingWeightDecay: applyingWeightDecay); self = .larcAdam(o)
        case .larcSGD(var o): o.update(store, applyingWeightDecay: applyingWeightDecay); self = .larcSGD(o)
        }
    }
}
