public import LumisDistributions
import LumisNeural

/// What identifies a proposal head: a controlled draw's address, its instance in the trace and its prior's kind
/// (pyprob's "address with instance" plus the distribution type, docs/reference/pyprob-engine.md §1.4 and §4.6).
///
/// Not a `Site` (LumisCore): a head is keyed by the prior's distribution kind, which a site does not hold, and not by the
/// name, statement kind or controlled flag, which a site does (every head is a controlled sample's).
public struct AddressKey: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The simulator's address text.
    public var address: String
    /// The 1-based instance of `address` in its trace.
    public var instance: Int
    /// The prior's kind.
    public var kind: DistributionKind

    /// Creates a key.
    public init(address: String, instance: Int, kind: DistributionKind) {
        self.address = address
        self.instance = instance
        self.kind = kind
    }

    /// The key as text, `address#instance:Kind`; stable across runs, machines and ranks.
    public var description: String { "\(address)#\(instance):\(kind.name)" }

    /// A seed derived from the key's text by 64-bit FNV-1a, so that a head is initialised the same way in every
    /// run and on every rank (Swift's `Hasher` is salted per process and would not be).
    public var seed: UInt64 { fnv1a64(description) }

    enum CodingKeys: String, CodingKey { case address, instance, kind }

    /// Decodes a key; the kind is its PPX wire tag.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        address = try container.decode(String.self, forKey: .address)
        instance = try container.decode(Int.self, forKey: .instance)
        let tag = try container.decode(UInt8.self, forKey: .kind)
        guard let kind = DistributionKind(rawValue: tag) else {
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container, debugDescription: "unknown distribution kind \(tag)")
        }
        self.kind = kind
    }

    /// Encodes a key; the kind is its PPX wire tag.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(address, forKey: .address)
        try container.encode(instance, forKey: .instance)
        try container.encode(kind.rawValue, forKey: .kind)
    }
}

/// The 64-bit FNV-1a hash of `text`'s UTF-8 bytes (LumisNeural's `fnv1a64`).
public func fnv1a64(_ text: String) -> UInt64 { fnv1a64(text.utf8) }
