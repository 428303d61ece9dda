import LumisDistributions
import LumisWire
import PropertyBased
import Testing

/// Encoding then decoding any message gives it back, through one reused encoder.
@Suite struct RoundTripPropertyTests {
    static let messages = Generator<Message, Shrink.None<Message>>(run: { rng in
        RandomMessages.message(using: &rng)
    })

    @Test func randomMessagesRoundTrip() async {
        var encoder = MessageEncoder(initialCapacity: 16)
        await propertyCheck(count: 2_000, input: Self.messages) { message throws in
            let decoded = try encoder.withEncoded(message) { frame in try MessageDecoder.decode(frame) }
            #expect(decoded == message)
        }
    }

    @Test func identifiedFramesRoundTrip() async {
        var encoder = MessageEncoder(writesFileIdentifier: true)
        await propertyCheck(count: 500, input: Self.messages) { message throws in
            let decoded = try MessageDecoder.decode(encoder.encode(message))
            #expect(decoded == message)
        }
    }

    @Test func seededMessagesRoundTrip() throws {
        var rng = SplitMix64(seed: 0x5EED)
        var encoder = MessageEncoder()
        for _ in 0..<5_000 {
            let message = RandomMessages.message(using: &rng)
            #expect(try MessageDecoder.decode(encoder.encode(message)) == message)
        }
    }
}
