public import LumisDistributions
public import LumisTensor

/// One PPX message: the `Message` root table of a frame, with its body decoded into values.
///
/// A tensor field that is absent on the wire, or present with no data, is `nil` ("no value" in PPX).
public enum Message: Sendable, Equatable {
    case handshake(systemName: String)
    case handshakeResult(systemName: String, modelName: String)
    case run
    case runResult(result: Tensor?)
    case sample(Sample)
    case sampleResult(result: Tensor?)
    case observe(Observe)
    case observeResult
    case tag(Tag)
    case tagResult
    case reset
}

/// The `Sample` body: the simulator asks the engine for a value.
public struct Sample: Sendable, Equatable {
    /// The simulator's opaque address text for the call site.
    public var address: String
    /// The user's label, `""` when none was given.
    public var name: String
    /// The prior; `nil` when the union tag was NONE.
    public var distribution: Distribution?
    /// `Sample.control`; `true` when absent on the wire.
    public var isControlled: Bool

    /// Creates a sample body.
    public init(address: String, name: String, distribution: Distribution?, isControlled: Bool = true) {
        self.address = address
        self.name = name
        self.distribution = distribution
        self.isControlled = isControlled
    }
}

/// The `Observe` body: the simulator conditions on a value.
public struct Observe: Sendable, Equatable {
    /// The simulator's opaque address text for the call site.
    public var address: String
    /// The user's label, `""` when none was given.
    public var name: String
    /// The likelihood; `nil` when the union tag was NONE.
    public var distribution: Distribution?
    /// The observed value the simulator sent, or `nil` to take it from the engine's observation set by `name`.
    public var value: Tensor?

    /// Creates an observe body.
    public init(address: String, name: String, distribution: Distribution?, value: Tensor?) {
        self.address = address
        self.name = name
        self.distribution = distribution
        self.value = value
    }
}

/// The `Tag` body: the simulator records a value without probability.
public struct Tag: Sendable, Equatable {
    /// The simulator's opaque address text for the call site.
    public var address: String
    /// The user's label, `""` when none was given.
    public var name: String
    /// The tagged value.
    public var value: Tensor?

    /// Creates a tag body.
    public init(address: String, name: String, value: Tensor?) {
        self.address = address
        self.name = name
        self.value = value
    }
}
