/// An optimizer that updates a whole ``ParameterStore`` from its gradients.
///
/// Optimizers keep per-parameter state (moments, velocities) in flat arrays parallel to the store. When the store
/// grows (a new proposal head), the state grows with zeros at the next update and existing state is kept, unlike
/// pyprob, which re-creates its optimizer and loses Adam's moments.
public protocol GradientOptimizer: Sendable {
    /// The step size used by the next update; schedules change it between steps.
    var learningRate: Double { get set }
    /// The L2 penalty coefficient added to gradients, `g + weightDecay · w` (PyTorch's `weight_decay`).
    var weightDecay: Double { get }
    /// The number of updates made so far.
    var step: Int { get }
    /// Updates `store.values` from `store.gradients` (which it leaves unchanged).
    mutating func update(_ store: ParameterStore)
    /// Updates the store, adding weight decay to the gradient only if `applyingWeightDecay` (LARC has applied it).
    mutating func update(_ store: ParameterStore, applyingWeightDecay: Bool)
}

extension GradientOptimizer {
    /// Updates `store.values` from `store.gradients`, applying weight decay.
    public mutating func update(_ store: ParameterStore) {
        update(store, applyingWeightDecay: true)
    }
}
