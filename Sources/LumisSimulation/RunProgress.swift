/// How far a long run is: the one progress event of inference (every engine), training and dataset writing.
///
/// Engines report counts; the command line turns them into a line with percentage, rate and ETA.
public struct RunProgress: Sendable {
    /// The stage a run is in.
    public enum Phase: String, Sendable {
        /// MCMC proposals before the first kept draw.
        case burnIn = "burn-in"
        /// Drawing the traces or draws that are kept.
        case sampling
        /// Training an inference network.
        case training
        /// Writing dataset shards.
        case writing
    }

    /// One engine-specific figure shown after the counts (for example a training loss).
    public struct Measure: Sendable, Equatable {
        /// Its label, for example `loss`.
        public var name: String
        /// Its value, `nil` while unknown.
        public var value: Double?

        /// Creates a measure.
        public init(_ name: String, _ value: Double?) {
            self.name = name
            self.value = value
        }
    }

    /// The current stage.
    public var phase: Phase
    /// What is counted, for example `traces` or `proposals`.
    public var unit: String
    /// Items done so far, over all phases.
    public var completed: Int
    /// Items the run does, over all phases.
    public var total: Int
    /// The effective sample size of the weighted traces so far, `nil` for unweighted runs.
    public var effectiveSampleSize: Double?
    /// Further figures, in display order.
    public var measures: [Measure]
    /// Whether this event marks a step a log should always show (a validation in training), whatever its
    /// reporting interval.
    public var isMilestone: Bool

    /// Creates an event.
    ///
    /// - Precondition: `0 <= completed <= total`.
    public init(
        phase: Phase, unit: String = "traces", completed: Int, total: Int, effectiveSampleSize: Double? = nil,
        isMilestone: Bool = false, measures: [Measure] = []
    ) {
        precondition(completed >= 0 && completed <= total, "Progress \(completed) of \(total)")
        self.phase = phase
        self.unit = unit
        self.completed = completed
        self.total = total
        self.effectiveSampleSize = effectiveSampleSize
        self.measures = measures
        self.isMilestone = isMilestone
    }
}
