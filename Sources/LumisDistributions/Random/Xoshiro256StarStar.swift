/// Blackman and Vigna's xoshiro256** generator: 256 bits of state, period 2²⁵⁶ − 1.
///
/// The state is filled from four outputs of ``SplitMix64``, as its authors recommend, so it is never all zero.
/// Sequences are identical on every platform for the same seed (and stream).
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable, Hashable {
    /// The four state words.
    public var state: (UInt64, UInt64, UInt64, UInt64)

    /// Creates a generator seeded from `SplitMix64(seed: seed)`.
    public init(seed: UInt64) {
        var seeder = SplitMix64(seed: seed)
        self.init(seeder: &seeder)
    }

    /// Creates the generator of stream `stream` under `seed`, statistically independent of every other stream.
    ///
    /// Engines use one stream per trace index, so results do not depend on how traces are spread over workers.
    /// The state is filled from `SplitMix64(seed: seed, stream: stream)`, i.e. by hashing `(seed, stream)`
    /// through the SplitMix64 mixer, not by the jump function: jumping to stream `k` would cost O(k). Two
    /// streams collide or overlap only with probability of order `streams² · draws / 2⁶⁴`.
    public init(seed: UInt64, stream: UInt64) {
        var seeder = SplitMix64(seed: seed, stream: stream)
        self.init(seeder: &seeder)
    }

    private init(seeder: inout SplitMix64) {
        state = (seeder.next(), seeder.next(), seeder.next(), seeder.next())
    }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        let result = (state.1 &* 5).rotatedLeft(by: 7) &* 9
        let shifted = state.1 &<< 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = state.3.rotatedLeft(by: 45)
        return result
    }

    /// Two generators are equal when their states are.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.state == rhs.state
    }

    /// Hashes the state.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(state.0)
        hasher.combine(state.1)
        hasher.combine(state.2)
        hasher.combine(state.3)
    }
}

extension UInt64 {
    @inlinable
    func rotatedLeft(by count: UInt64) -> UInt64 {
        (self &<< count) | (self &>> (64 &- count))
    }
}
