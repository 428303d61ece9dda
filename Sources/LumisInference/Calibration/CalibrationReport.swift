import Glibc

/// The result of a calibration run, as `lumis calibrate` writes it (docs/calibration.md): per scalar latent, the
/// PIT values over events, the coverage of the central 50% and 90% intervals, and a Kolmogorov–Smirnov test of
/// the PIT values against Uniform(0, 1).
public struct CalibrationReport: Sendable, Equatable {
    /// The value of the file's `format` key.
    public static let formatName = "lumis-calibration"
    /// The file format version this build writes and reads.
    public static let formatVersion = 1
    /// The central-interval levels whose coverage is recorded.
    public static let levels: [Double] = [0.5, 0.9]
    /// A coverage is flagged when it lies more than this many binomial standard deviations from its level.
    public static let bandSigmas = 4.0
    /// A KS p-value below this flags the PIT values as not uniform.
    public static let ksThreshold = 0.001

    /// One scalar latent's calibration.
    public struct Variable: Sendable, Equatable {
        /// The PIT value of every event whose truth holds the latent, in event order (`nil`: the posterior had no
        /// weighted value of it).
        public var pits: [Double?]
        /// Per event, the posterior probability of the true class, for a Categorical draw; else empty.
        public var trueClassProbabilities: [Double]

        /// Creates a record.
        public init(pits: [Double?], trueClassProbabilities: [Double] = []) {
            self.pits = pits
            self.trueClassProbabilities = trueClassProbabilities
        }

        /// Events whose truth holds the latent.
        public var events: Int { pits.count }
        /// Events whose posterior had no weighted value of the latent (counted as not covered).
        public var undefinedEvents: Int { pits.count { $0 == nil } }
        /// The defined PIT values.
        public var definedPITs: [Double] { pits.compactMap { $0 } }

        /// The fraction of events whose truth lies in the central `level` interval.
        public func coverage(level: Double) -> Double {
            guard !pits.isEmpty else { return .nan }
            let inside = pits.count { CalibrationEvent.Measure(pit: $0).isInside(level: level) }
            return Double(inside) / Double(pits.count)
        }

        /// The range a calibrated engine's coverage falls in with high probability:
        /// `level ± 4·√(level(1 − level)/events)`, clipped to [0, 1].
        public func coverageBand(level: Double) -> ClosedRange<Double> {
            let halfWidth = CalibrationReport.bandSigmas * (level * (1 - level) / Double(max(events, 1))).squareRoot()
            return max(0, level - halfWidth)...min(1, level + halfWidth)
        }

        /// The KS statistic of the defined PIT values, `nil` if there are none.
        public var ksStatistic: Double? {
            let values = definedPITs
            return values.isEmpty ? nil : KolmogorovSmirnov.statistic(ofUniform: values)
        }

        /// The KS p-value of the defined PIT values against Uniform(0, 1), `nil` if there are none.
        public var ksPValue: Double? {
            ksStatistic.map { KolmogorovSmirnov.pValue(statistic: $0, sampleSize: definedPITs.count) }
        }

        /// The mean posterior probability of the true class, for a Categorical draw.
        public var meanTrueClassProbability: Double? {
            trueClassProbabilities.isEmpty
                ? nil : trueClassProbabilities.reduce(0, +) / Double(trueClassProbabilities.count)
        }

        /// Why the latent looks miscalibrated: each coverage outside its band, a KS p-value below
        /// ``CalibrationReport/ksThreshold``; empty if neither.
        public var flags: [String] {
            var flags: [String] = []
            for level in CalibrationReport.levels {
                let coverage = coverage(level: level)
                let band = coverageBand(level: level)
                if !band.contains(coverage) {
                    flags.append(
                        "\(Int(level * 100))% coverage \(Self.format(coverage)) outside "
                            + "[\(Self.format(band.lowerBound)), \(Self.format(band.upperBound))]")
                }
            }
            if let p = ksPValue, p < CalibrationReport.ksThreshold { flags.append("KS p \(Self.format(p, digits: 2))") }
            return flags
        }

        /// `value` with `digits` significant digits (C's `%.*g`).
        static func format(_ value: Double, digits: Int = 3) -> String {
            var buffer = [CChar](repeating: 0, count: 64)
            _ = withVaList([Int32(digits), value]) { arguments in
                buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, "%.*g", arguments) }
            }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// The engine's name.
    public var engine: String
    /// The simulator's model name.
    public var model: String
    /// The run's seed.
    public var seed: UInt64
    /// Traces the engine ran per event.
    public var tracesPerEvent: Int
    /// Each event's posterior effective sample size, in event order.
    public var effectiveSampleSizes: [Double]
    /// The latents, by label.
    public var variables: [String: Variable]
    /// How the engine ran (MCMC's chains, the network).
    public var settings: Settings
    /// The events asked for when the run was interrupted before all of them finished (the report then holds
    /// the first ``events`` of them); `nil` for a complete run.
    public var requestedEvents: Int?

    /// Creates a report from its parts.
    public init(
        engine: String, model: String, seed: UInt64, tracesPerEvent: Int, effectiveSampleSizes: [Double],
        variables: [String: Variable], settings: Settings = Settings()
    ) {
        self.settings = settings
        self.engine = engine
        self.model = model
        self.seed = seed
        self.tracesPerEvent = tracesPerEvent
        self.effectiveSampleSizes = effectiveSampleSizes
        self.variables = variables
    }

    /// Gathers the events' records (in event order) into a report.
    public init(
        engine: String, model: String, seed: UInt64, tracesPerEvent: Int, events: [CalibrationEvent],
        settings: Settings = Settings()
    ) {
        self.init(
            engine: engine, model: model, seed: seed, tracesPerEvent: tracesPerEvent, effectiveSampleSizes: [],
            variables: [:], settings: settings)
        append(events)
    }

    /// Adds the records of the events that follow the report's (in event order), as if they had run with it:
    /// a resumed run's report equals the uninterrupted one.
    public mutating func append(_ events: [CalibrationEvent]) {
        for event in events {
            effectiveSampleSizes.append(event.effectiveSampleSize)
            for (label, measure) in event.measures {
                variables[label, default: Variable(pits: [])].pits.append(measure.pit)
                if let probability = measure.trueClassProbability {
                    variables[label, default: Variable(pits: [])].trueClassProbabilities.append(probability)
                }
            }
        }
    }

    /// The number of events.
    public var events: Int { effectiveSampleSizes.count }

    /// The median of the events' effective sample sizes (the mean of the middle two for an even count).
    public var medianEffectiveSampleSize: Double {
        let sorted = effectiveSampleSizes.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The latents' labels in natural order (`x2` before `x10`).
    public var labels: [String] { variables.keys.sorted(by: PosteriorSummary.naturallyPrecedes) }

    /// Whether any latent is flagged.
    public var isMiscalibrated: Bool { variables.values.contains { !$0.flags.isEmpty } }
}
