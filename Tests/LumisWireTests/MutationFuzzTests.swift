import LumisDistributions
import LumisWire
import Testing

/// Seeded mutations of valid frames: decoding throws or succeeds, never traps, and whatever decodes
/// re-encodes to a frame that decodes to the same message.
@Suite struct MutationFuzzTests {
    /// Every golden file plus a few hundred encoded random messages.
    static func seeds() throws -> [[UInt8]] {
        var frames = try GoldenMessages.names.map { try GoldenFiles.bytes(named: $0) }
        var rng = SplitMix64(seed: 7)
        var encoder = MessageEncoder()
        for _ in 0..<300 { frames.append(encoder.encode(RandomMessages.message(using: &rng))) }
        return frames
    }

    /// One random mutation: bit flips, byte overwrites, interesting 32-bit values, truncation or insertion.
    static func mutate(_ frame: inout [UInt8], using rng: inout SplitMix64) {
        guard !frame.isEmpty else { return }
        let position = Int.random(in: 0..<frame.count, using: &rng)
        switch Int.random(in: 0..<6, using: &rng) {
        case 0:
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                frame[Int.random(in: 0..<frame.count, using: &rng)] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            }
        case 1:
            frame[position] = UInt8.random(in: 0...255, using: &rng)
        case 2:
            let interesting: [UInt32] = [0, 1, 4, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF]
            let value = interesting.randomElement(using: &rng) ?? 0
            let start = min(position & ~3, max(frame.count - 4, 0))
            for index in 0..<min(4, frame.count - start) {
                frame[start + index] = UInt8(truncatingIfNeeded: value >> (8 * index))
            }
        case 3:
            frame.removeLast(Int.random(in: 1...frame.count, using: &rng))
        case 4:
            frame.insert(
                contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng)
                },
                at: position
            )
        default:
            frame.removeSubrange(position..<min(frame.count, position + Int.random(in: 1...8, using: &rng)))
        }
    }

    @Test func hundredThousandMutationsNeverTrap() throws {
        let seeds = try Self.seeds()
        var rng = SplitMix64(seed: 0xF022)
        var encoder = MessageEncoder()
        var decodedCount = 0
        var rejectedCount = 0
        for _ in 0..<100_000 {
            var frame = seeds.randomElement(using: &rng) ?? []
            for _ in 0..<Int.random(in: 1...3, using: &rng) { Self.mutate(&frame, using: &rng) }
            do {
                let message = try MessageDecoder.decode(frame)
                decodedCount += 1
                // Compare re-encoded bytes, not values: a flipped bit may have made a NaN.
                let once = encoder.encode(message)
                let twice = encoder.encode(try MessageDecoder.decode(once))
                #expect(once == twice)
            } catch {
                rejectedCount += 1
                #expect(!error.description.isEmpty)
            }
        }
        #expect(decodedCount + rejectedCount == 100_000)
        // Both outcomes must be exercised, or the mutations are too weak or too strong to mean anything.
        #expect(decodedCount > 1_000)
        #expect(rejectedCount > 10_000)
    }
}
