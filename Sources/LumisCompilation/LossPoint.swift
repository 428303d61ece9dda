/// One point of a network's loss history, recorded at every validation and saved in the network file.
///
/// Both losses are means of `−Σ_t log q(x_t | y, x_<t)` per trace (nats): the training loss over the minibatches
/// trained since the previous point, the validation loss over the fixed validation set. Under MPI both are totals
/// over all ranks, so every rank records the same point.
public struct LossPoint: Sendable, Hashable, Codable {
    /// Traces trained on, over all runs and ranks, when the point was recorded.
    public var traces: Int
    /// The mean training loss since the previous point; `nil` if every minibatch since then was skipped.
    public var loss: Double?
    /// The validation loss; `nil` without a validation set or when a term was not finite.
    public var validationLoss: Double?

    /// Creates a point; a loss that is not finite is recorded as `nil` (JSON has no NaN or infinity).
    public init(traces: Int, loss: Double?, validationLoss: Double?) {
        self.traces = traces
        self.loss = loss.flatMap { $0.isFinite ? $0 : nil }
        self.validationLoss = validationLoss.flatMap { $0.isFinite ? $0 : nil }
    }
}
