import LumisDistributions
import LumisTensor

/// How a controlled draw's value is presented to the network as the "previous value" of the next step.
///
/// Categorical values are one-hot over the categories; every other value is standardised by its prior's mean and
/// stddev (when both are finite) and clipped to ±10, so that counts, rates and locations of any scale reach the
/// network on a similar footing.
enum ValueFeatures {
    /// How many features a value drawn from `prior` has.
    static func count(for prior: Distribution) -> Int {
        if case .categorical(let probs) = prior { return max(probs.scalarCount, 1) }
        return 1
    }

    /// Writes the features of `value` (drawn from `prior`) into `output`, which holds ``count(for:)`` elements.
    static func write(_ value: Tensor, prior: Distribution, into output: UnsafeMutableBufferPointer<Double>) {
        let x = value.scalars.first ?? 0
        if case .categorical = prior {
            for i in output.indices { output[i] = 0 }
            let index = Int(x)
            if index >= 0 && index < output.count { output[index] = 1 }
            return
        }
        let mean = prior.mean.scalars.first ?? 0, stddev = prior.stddev.scalars.first ?? 1
        var feature = x
        if mean.isFinite && stddev.isFinite && stddev > 0 { feature = (x - mean) / stddev }
        output[0] = feature.isFinite ? min(max(feature, -10), 10) : 0
    }
}
