public import LumisCore
import LumisDistributions
public import LumisTensor

/// The reference 3-state hidden Markov model with 16 observations (pyprob, docs/reference/pyprob-engine.md §6.1).
///
/// State `x0` is drawn from the uniform initial distribution; each later state `x(t+1)` from the transition row of
/// `x(t)` and emits `obs(t)` from its Normal. The result is the 17×3 one-hot matrix of the states.
public struct HiddenMarkovModel: Simulator, Sendable {
    /// The model name.
    public let modelName = "Hidden Markov model"
    /// Initial state probabilities.
    public static let initial = [1.0 / 3, 1.0 / 3, 1.0 / 3]
    /// Transition probabilities, row = from-state.
    public static let transitions = [[0.1, 0.5, 0.4], [0.2, 0.2, 0.6], [0.15, 0.15, 0.7]]
    /// Emission means; every emission stddev is 1.
    public static let emissionMeans = [-1.0, 1.0, 0.0]
    /// The reference observations `obs0` … `obs15`.
    public static let observations = [
        0.9, 0.8, 0.7, 0.0, -0.025, -5.0, -2.0, -0.1, 0.0, 0.13, 0.45, 6, 0.2, 0.3, -1, -1,
    ]

    /// The observation set naming the reference observations `obs0` … `obs15`.
    public static var observationSet: ObservationSet {
        var set = ObservationSet()
        for (t, value) in observations.enumerated() { set["obs\(t)"] = Tensor(value) }
        return set
    }

    /// Creates the model.
    public init() {}

    /// Runs one trace.
    public mutating func run(_ execution: inout TraceExecution) throws -> Tensor? {
        var oneHot = [Double](repeating: 0, count: 17 * 3)
        var state = Int(
            try execution.sample(.categorical(probs: Tensor(Self.initial)), address: "x", name: "x0").scalars[0])
        oneHot[state] = 1
        for t in 0..<16 {
            state = Int(
                try execution.sample(
                    .categorical(probs: Tensor(Self.transitions[state])), address: "x", name: "x\(t + 1)"
                ).scalars[0])
            oneHot[(t + 1) * 3 + state] = 1
            try execution.observe(
                .normal(mean: Tensor(Self.emissionMeans[state]), stddev: Tensor(1)), address: "obs", name: "obs\(t)",
                value: nil)
        }
        return Tensor(shape: [17, 3], scalars: oneHot)
    }
}
