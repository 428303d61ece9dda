/// A learning rate as a function of the number of training traces seen, as pyprob's schedulers
/// (docs/reference/pyprob-engine.md §4.9).
///
/// ```
/// lr(t) = (initial − final) · (1 − t/endTraces)^p + final      p = 1 (poly1) or 2 (poly2)
/// ```
/// `t` is clamped to `[0, endTraces]`, so the rate stays at `final` after `endTraces` (pyprob's poly1 would keep
/// falling below it, and poly2 rise again).
public struct LearningRateSchedule: Sendable, Hashable, Codable {
    /// The shape of the decay.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// A constant rate, `initial`.
        case none
        /// Linear decay from `initial` to `final`.
        case poly1
        /// Quadratic decay from `initial` to `final`.
        case poly2
    }

    /// The shape of the decay.
    public var kind: Kind
    /// The rate at `t = 0`.
    public var initial: Double
    /// The rate from `t = endTraces` on.
    public var final: Double
    /// The trace count at which the decay ends (pyprob's `num_traces_end`, default 1e9).
    public var endTraces: Int

    /// Creates a schedule.
    ///
    /// - Precondition: the rates are non-negative and finite, `endTraces > 0`.
    public init(kind: Kind, initial: Double, final: Double = 0, endTraces: Int = 1_000_000_000) {
        precondition(initial >= 0 && initial.isFinite && final >= 0 && final.isFinite, "Invalid learning rates")
        precondition(endTraces > 0, "endTraces must be positive")
        self.kind = kind
        self.initial = initial
        self.final = final
        self.endTraces = endTraces
    }

    /// The learning rate after `traces` training traces.
    public func learningRate(afterTraces traces: Int) -> Double {
        let fraction = 1 - Double(min(max(traces, 0), endTraces)) / Double(endTraces)
        switch kind {
        case .none: return initial
        case .poly1: return (initial - final) * fraction + final
        case .poly2: return (initial - final) * fraction * fraction + final
        }
    }
}
