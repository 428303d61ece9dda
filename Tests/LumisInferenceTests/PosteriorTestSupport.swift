import LumisCore
import LumisDistributions
import LumisInference
import LumisTensor

/// An entry with the fields a posterior uses.
func entry(
    _ kind: Trace.Kind, _ address: String, instance: Int = 1, name: String = "", value: Tensor,
    controlled: Bool = true
) -> Trace.Entry {
    Trace.Entry(
        kind: kind, address: address, instance: instance, name: name, distribution: nil, value: value, logProb: 0,
        isControlled: kind == .sample && controlled)
}

/// A trace of the Gaussian-unknown-mean model: sample `mu`, observe `obs0`/`obs1`, result `mu`.
func gaussianTrace(mu: Double, logWeight: Double, observations: (Double, Double) = (8, 9)) -> Trace {
    var trace = Trace()
    trace.entries = [
        entry(.sample, "normal_mu", name: "mu", value: Tensor(mu)),
        entry(.observe, "normal_obs", instance: 1, name: "obs0", value: Tensor(observations.0)),
        entry(.observe, "normal_obs", instance: 2, name: "obs1", value: Tensor(observations.1)),
    ]
    trace.result = Tensor(mu)
    trace.logWeight = logWeight
    return trace
}

/// A store of Gaussian traces with these `mu` values and log weights.
func gaussianStore(values: [Double], logWeights: [Double]) -> TraceStore {
    precondition(values.count == logWeights.count)
    var store = TraceStore()
    for (value, logWeight) in zip(values, logWeights) { store.append(gaussianTrace(mu: value, logWeight: logWeight)) }
    return store
}

/// Whether two tensors have the same shape and bit-identical elements.
func bitwiseEqual(_ a: Tensor?, _ b: Tensor?) -> Bool {
    guard let a, let b else { return a == nil && b == nil }
    return a.shape == b.shape && a.scalars.count == b.scalars.count
        && zip(a.scalars, b.scalars).allSatisfy { $0.bitPattern == $1.bitPattern }
}
