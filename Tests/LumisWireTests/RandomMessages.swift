import LumisDistributions
import LumisTensor
import LumisWire

/// Random PPX messages of every kind, for the round-trip property and the mutation fuzzer.
///
/// Tensors are non-empty (an empty tensor means "no value" and decodes as `nil`) and hold no NaN, so that
/// decoded messages compare equal with `==`.
enum RandomMessages {
    static let specialStrings = [
        "", "a", "mu", "[forward()+0x2a; main+0x1f]", "é", "日本語", "🦊🦊", "nul\u{0}inside",
    ]
    static let specialDoubles: [Double] = [
        0, -0.0, 1, -1, .infinity, -.infinity, .ulpOfOne, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1e-300,
    ]

    static func string(using rng: inout some RandomNumberGenerator) -> String {
        if Bool.random(using: &rng) { return specialStrings.randomElement(using: &rng) ?? "" }
        let scalars: [Unicode.Scalar] = (0..<Int.random(in: 0...24, using: &rng)).map { _ in
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &rng))
            case 1: Unicode.Scalar(UInt32.random(in: 0xA0...0xD7FF, using: &rng)) ?? "?"
            case 2: Unicode.Scalar(UInt32.random(in: 0xE000...0xFFFD, using: &rng)) ?? "?"
            default: Unicode.Scalar(UInt32.random(in: 0x1_0000...0x10_FFFF, using: &rng)) ?? "?"
            }
        }
        return String(String.UnicodeScalarView(scalars))
    }

    static func double(using rng: inout some RandomNumberGenerator) -> Double {
        if Int.random(in: 0..<4, using: &rng) == 0 { return specialDoubles.randomElement(using: &rng) ?? 0 }
        let value = Double(bitPattern: rng.next())
        return value.isNaN ? 0.5 : value
    }

    /// A non-empty tensor: a scalar, or up to rank 4 with small positive dimensions.
    static func tensor(using rng: inout some RandomNumberGenerator) -> Tensor {
        let shape: [Int] =
            Bool.random(using: &rng)
            ? [] : (0..<Int.random(in: 1...4, using: &rng)).map { _ in Int.random(in: 1...4, using: &rng) }
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, scalars: (0..<count).map { _ in double(using: &rng) })
    }

    static func optionalTensor(using rng: inout some RandomNumberGenerator) -> Tensor? {
        Int.random(in: 0..<5, using: &rng) == 0 ? nil : tensor(using: &rng)
    }

    static func distribution(using rng: inout some RandomNumberGenerator) -> Distribution? {
        guard Int.random(in: 0..<12, using: &rng) != 0 else { return nil }
        let kind = DistributionKind.allCases.randomElement(using: &rng) ?? .normal
        return Distribution(kind: kind, parameters: kind.parameterNames.map { _ in tensor(using: &rng) })
    }

    static func message(using rng: inout some RandomNumberGenerator) -> Message {
        switch Int.random(in: 0..<11, using: &rng) {
        case 0: .handshake(systemName: string(using: &rng))
        case 1: .handshakeResult(systemName: string(using: &rng), modelName: string(using: &rng))
        case 2: .run
        case 3: .runResult(result: optionalTensor(using: &rng))
        case 4:
            .sample(
                Sample(
                    address: string(using: &rng),
                    name: string(using: &rng),
                    distribution: distribution(using: &rng),
                    isControlled: Bool.random(using: &rng)
                )
            )
        case 5: .sampleResult(result: optionalTensor(using: &rng))
        case 6:
            .observe(
                Observe(
                    address: string(using: &rng),
                    name: string(using: &rng),
                    distribution: distribution(using: &rng),
                    value: optionalTensor(using: &rng)
                )
            )
        case 7: .observeResult
        case 8: .tag(Tag(address: string(using: &rng), name: string(using: &rng), value: optionalTensor(using: &rng)))
        case 9: .tagResult
        default: .reset
        }
    }
}
