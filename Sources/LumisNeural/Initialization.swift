internal import LumisDistributions

/// How freshly allocated parameters are filled.
public enum Initialization: Sendable, Equatable {
    /// All zeros.
    case zeros
    /// Uniform on `[-bound, bound]` (PyTorch's default for linear and LSTM layers uses `1/√fanIn` or
    /// `1/√hidden`).
    case uniform(bound: Double)
    /// Glorot/Xavier uniform: uniform on `±√(6 / (fanIn + fanOut))`.
    case xavier(fanIn: Int, fanOut: Int)
    /// Every element equal to the value.
    case constant(Double)
    /// Normal with mean 0 and the given standard deviation (pyprob's embedding tables use `N(0, 1)`).
    case normal(stddev: Double)

    /// Fills `buffer` deterministically from `seed`: the same seed gives the same values on every platform.
    func fill(_ buffer: inout ArraySlice<Double>, seed: UInt64) {
        var generator = Xoshiro256StarStar(seed: seed)
        switch self {
        case .zeros:
            for index in buffer.indices { buffer[index] = 0 }
        case .constant(let value):
            for index in buffer.indices { buffer[index] = value }
        case .uniform(let bound):
            precondition(bound >= 0 && bound.isFinite, "Uniform initialization bound \(bound) is invalid")
            for index in buffer.indices { buffer[index] = (2 * generator.nextUniform() - 1) * bound }
        case .xavier(let fanIn, let fanOut):
            precondition(fanIn > 0 && fanOut > 0, "Xavier initialization needs positive fans, got \(fanIn), \(fanOut)")
            let bound = (6 / Double(fanIn + fanOut)).squareRoot()
            for index in buffer.indices { buffer[index] = (2 * generator.nextUniform() - 1) * bound }
        case .normal(let stddev):
            precondition(stddev >= 0 && stddev.isFinite, "Normal initialization stddev \(stddev) is invalid")
            for index in buffer.indices { buffer[index] = stddev * generator.nextStandardNormal() }
        }
    }
}
