/// Steele, Lea and Flood's SplitMix64 generator: 64 bits of state, a Weyl sequence passed through a mixer.
///
/// Fast and statistically good enough to seed other generators; ``Xoshiro256StarStar`` is the engines' default.
/// Sequences are identical on every platform for the same seed (and stream).
public struct SplitMix64: RandomNumberGenerator, Sendable, Hashable {
    /// The golden-ratio increment of the Weyl sequence.
    static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// The current state; the next output is `mix(state + increment)`.
    public var state: UInt64

    /// Creates a generator whose first output is `mix(seed &+ 0x9E3779B97F4A7C15)`.
    public init(seed: UInt64) {
        state = seed
    }

    /// Creates the generator of stream `stream` under `seed`.
    ///
    /// The state is `seed ^ mix(mix(stream) ^ 0xD1B54A32D192ED03)`: for a fixed seed, distinct streams start in
    /// distinct, pseudo-randomly scattered states, so their sequences overlap only with probability about
    /// `draws · streams² / 2⁶⁴`. We hash rather than jump because engines use the trace index as the stream and
    /// jumping would cost O(stream).
    public init(seed: UInt64, stream: UInt64) {
        state = seed ^ SplitMix64.mix(SplitMix64.mix(stream) ^ 0xD1B5_4A32_D192_ED03)
    }

    /// The SplitMix64 output function (a bijection of `UInt64` with good avalanche).
    ///
    /// ```
    /// z = (z ^ (z >> 30)) · 0xBF58476D1CE4E5B9
    /// z = (z ^ (z >> 27)) · 0x94D049BB133111EB
    /// z ^ (z >> 31)
    /// ```
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z &>> 31)
    }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }
}
