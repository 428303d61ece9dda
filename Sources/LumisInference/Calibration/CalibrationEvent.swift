public import LumisCore
public import LumisDistributions
package import LumisStorage
import LumisTensor

/// What one event of a calibration run measured: for every scalar latent of the true trace, where the truth
/// fell in the engine's posterior.
///
/// The scalar latents are the elements of the true trace's named sample and tag variables and of its result,
/// labelled `name`, `name[i,j]` (row-major element of a tensor), `(result)` or `(result)[i]`.
public struct CalibrationEvent: Sendable, Equatable {
    /// Where the truth of one scalar latent fell.
    public struct Measure: Sendable, Equatable {
        /// The randomised PIT value of the truth *t* under the weighted posterior.
        ///
        /// `u = F(t−) + V·p(t)`: `F(t−)` the
        /// posterior weight of values below *t*, `p(t)` the weight of values equal to it, *V* ~ Uniform[0, 1).
        /// `nil` when the posterior has no weighted value of this latent (every trace holding it has zero
        /// weight, or none holds it, or it has another shape).
        public var pit: Double?
        /// For a Categorical draw: the posterior probability of the true class (`nil` for other latents, and 0
        /// when ``pit`` is `nil`).
        public var trueClassProbability: Double?

        /// Creates a measure.
        public init(pit: Double?, trueClassProbability: Double? = nil) {
            self.pit = pit
            self.trueClassProbability = trueClassProbability
        }

        /// Whether the truth lies in the central `level` interval of the posterior: `|u − ½| ≤ level/2`.
        ///
        /// For a continuous posterior this is the truth lying between the weighted `(1 − level)/2` and
        /// `(1 + level)/2` quantiles; where an atom straddles an end of the interval, *V* decides, so that for a
        /// calibrated engine the probability is exactly `level` for discrete latents too.
        public func isInside(level: Double) -> Bool {
            guard let pit else { return false }
            return abs(pit - 0.5) <= level / 2
        }
    }

    /// The posterior's effective sample size (0 when no trace has positive weight).
    public var effectiveSampleSize: Double
    /// The measures, by scalar latent label.
    public var measures: [String: Measure]

    /// Creates an event record.
    public init(effectiveSampleSize: Double, measures: [String: Measure]) {
        self.effectiveSampleSize = effectiveSampleSize
        self.measures = measures
    }

    /// Measures where `truth` falls in `posterior`.
    ///
    /// The randomisation variates *V* come from `generator`, one per scalar latent in label order (variables in
    /// UTF-8 order, then the result; elements in row-major order), drawn whether or not they are needed, so the
    /// record is a function of the generator's stream.
    /// - Complexity: O(*L · N*) for *L* scalar latents and *N* posterior traces.
    public static func measure(
        truth: Trace, posterior: Posterior, using generator: inout Xoshiro256StarStar
    ) -> CalibrationEvent {
        var truthStore = TraceStore()
        truthStore.append(truth)
        var selectors = truthStore.variableNames.map { VariableSelector.name($0) }
        if truthStore.hasResults { selectors.append(.result) }
        var measures: [String: Measure] = [:]
        for selector in selectors {
            guard let value = truthStore.value(of: selector, inTrace: 0) else { continue }
            var isCategorical = false
            if case .name(let name) = selector,
                let entry = truth.entries.last(where: { $0.kind != .observe && $0.name == name }),
                case .categorical? = entry.distribution
            {
                isCategorical = true
            }
            let column = try? posterior.weightedColumn(for: selector)
            let label = selector.description
            for element in 0..<value.scalarCount {
                let variate = generator.nextUniform()
                let name = value.shape.isEmpty ? label : label + DrawTable.elementLabel(element, shape: value.shape)
                guard let (column, weights) = column, column.shape == value.shape else {
                    measures[name] = Measure(pit: nil, trueClassProbability: isCategorical ? 0 : nil)
                    continue
                }
                let truthValue = value.scalars[element]
                var below = CompensatedSum()
                var equal = CompensatedSum()
                for (row, weight) in weights.enumerated() where weight > 0 {
                    let draw = column.values[row * column.elementCount + element]
                    if draw < truthValue {
                        below.add(weight)
                    } else if draw == truthValue {
                        equal.add(weight)
                    }
                }
                let pit = min(1, max(0, below.value + variate * equal.value))
                measures[name] = Measure(pit: pit, trueClassProbability: isCategorical ? equal.value : nil)
            }
        }
        return CalibrationEvent(effectiveSampleSize: posterior.effectiveSampleSize ?? 0, measures: measures)
    }
}

extension CalibrationEvent {
    /// The record as bytes, to send between the ranks of an MPI launch.
    package func serialized(into writer: inout ByteWriter) {
        writer.write(effectiveSampleSize)
        writer.write(measures.count)
        for (label, measure) in measures.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            writer.write(label)
            writer.write(measure.pit != nil)
            writer.write(measure.pit ?? 0)
            writer.write(measure.trueClassProbability != nil)
            writer.write(measure.trueClassProbability ?? 0)
        }
    }

    /// Reads a record written by ``serialized(into:)``.
    package init(from reader: inout ByteReader) throws(ByteReader.Malformed) {
        effectiveSampleSize = try reader.readDouble()
        measures = [:]
        for _ in 0..<(try reader.readCount("calibration measures", itemSize: 26)) {
            let label = try reader.readString("latent label")
            let hasPIT = try reader.readBool("PIT flag")
            let pit = try reader.readDouble()
            let hasProbability = try reader.readBool("class probability flag")
            let probability = try reader.readDouble()
            measures[label] = Measure(pit: hasPIT ? pit : nil, trueClassProbability: hasProbability ? probability : nil)
        }
    }
}
