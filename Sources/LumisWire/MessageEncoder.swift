import LumisDistributions
import LumisTensor

/// Encodes ``Message`` values into PPX frames, reusing one buffer between messages.
///
/// Writes what the C++ peer expects: no file identifier (unless asked), both `data` and `shape` of every
/// tensor, a `nil` result or tag value as a tensor with empty `data` and `shape`, an absent `Observe.value`
/// for `nil`, and `Sample.control` only when it is `false` (the schema default is `true`, and the C++ peer also
/// omits it then). Once the buffer has grown to the largest message, encoding allocates nothing.
public struct MessageEncoder {
    private var builder: FlatBufferBuilder
    /// Finished frames of the messages without fields, indexed by union tag; empty until first needed.
    private var constantFrames: [[UInt8]] = Array(repeating: [], count: Int(WireSchema.BodyTag.reset) + 1)
    /// The ``writesFileIdentifier`` the frames in `constantFrames` were built with.
    private var constantFramesHaveIdentifier = false
    /// Whether frames carry the schema's `PPXF` file identifier; existing peers neither write nor need it.
    public var writesFileIdentifier: Bool

    /// Creates an encoder.
    ///
    /// - Parameters:
    ///   - initialCapacity: The starting buffer size in bytes; the buffer doubles as needed and is kept.
    ///   - writesFileIdentifier: Whether to write the `PPXF` identifier (off on the wire, as every peer does).
    public init(initialCapacity: Int = 1024, writesFileIdentifier: Bool = false) {
        builder = FlatBufferBuilder(initialCapacity: initialCapacity)
        self.writesFileIdentifier = writesFileIdentifier
    }

    /// Encodes `message` and lends the frame's bytes to `body`; they are valid only inside it.
    ///
    /// - Returns: What `body` returns.
    public mutating func withEncoded<R>(
        _ message: Message,
        _ body: (UnsafeRawBufferPointer) throws -> R
    ) rethrows -> R {
        if let tag = Self.fieldlessTag(of: message) {
            // Run, ObserveResult, TagResult and Reset have no fields: their frame never changes, and 3 of the 4
            // frames Lumis sends per GUM trace are such. Built once, then reused (1,500 instructions each).
            if constantFramesHaveIdentifier != writesFileIdentifier {
                constantFrames = Array(repeating: [], count: constantFrames.count)
                constantFramesHaveIdentifier = writesFileIdentifier
            }
            if constantFrames[Int(tag)].isEmpty {  // A finished frame is never empty.
                build(message)
                constantFrames[Int(tag)] = builder.withFinishedBytes { Array($0) }
            }
            return try constantFrames[Int(tag)].withUnsafeBytes(body)
        }
        build(message)
        return try builder.withFinishedBytes(body)
    }

    /// The union tag of a message without fields, or `nil`.
    private static func fieldlessTag(of message: Message) -> UInt8? {
        switch message {
        case .run: Tag.run
        case .observeResult: Tag.observeResult
        case .tagResult: Tag.tagResult
        case .reset: Tag.reset
        default: nil
        }
    }

    /// Encodes `message` into a new array.
    public mutating func encode(_ message: Message) -> [UInt8] {
        withEncoded(message) { Array($0) }
    }

    private typealias Tag = WireSchema.BodyTag
    private typealias Slot = WireSchema.SiteSlot

    /// Writes the whole frame into the builder.
    private mutating func build(_ message: Message) {
        builder.reset()
        let (tag, body) = self.body(of: message)
        builder.startTable()
        builder.add(body, slot: WireSchema.MessageSlot.body)
        builder.add(tag, slot: WireSchema.MessageSlot.bodyType)
        let root = builder.endTable()
        builder.finish(root: root, fileIdentifier: writesFileIdentifier ? "PPXF" : nil)
    }

    /// Writes the body table and returns its union tag and offset.
    private mutating func body(of message: Message) -> (UInt8, FlatBufferOffset) {
        switch message {
        case .handshake(let systemName):
            let name = builder.createString(systemName)
            builder.startTable()
            builder.add(name, slot: 0)
            return (Tag.handshake, builder.endTable())
        case .handshakeResult(let systemName, let modelName):
            let system = builder.createString(systemName)
            let model = builder.createString(modelName)
            builder.startTable()
            builder.add(model, slot: 1)
            builder.add(system, slot: 0)
            return (Tag.handshakeResult, builder.endTable())
        case .run:
            return (Tag.run, emptyTable())
        case .runResult(let result):
            return (Tag.runResult, tableWithTensor(result))
        case .sample(let sample):
            let address = builder.createString(sample.address)
            let name = builder.createString(sample.name)
            let distribution = sample.distribution.map { distributionTable($0) }
            // Field order as the C++ golden writer's SampleBuilder, so the bytes match exactly.
            builder.startTable()
            builder.add(address, slot: Slot.address)
            builder.add(name, slot: Slot.name)
            if let distribution, let kind = sample.distribution?.kind {
                builder.add(kind.rawValue, slot: Slot.distributionType)
                builder.add(distribution, slot: Slot.distribution)
            }
            if !sample.isControlled { builder.add(0, slot: Slot.controlOrValue) }
            return (Tag.sample, builder.endTable())
        case .sampleResult(let result):
            return (Tag.sampleResult, tableWithTensor(result))
        case .observe(let observe):
            let address = builder.createString(observe.address)
            let name = builder.createString(observe.name)
            let distribution = observe.distribution.map { distributionTable($0) }
            let value = observe.value.map { tensorTable($0) }
            // Generated C++ `Create…` functions add fields largest first, each size in reverse slot order;
            // following them makes the bytes identical.
            builder.startTable()
            if let value { builder.add(value, slot: Slot.controlOrValue) }
            if let distribution { builder.add(distribution, slot: Slot.distribution) }
            builder.add(name, slot: Slot.name)
            builder.add(address, slot: Slot.address)
            if let kind = observe.distribution?.kind { builder.add(kind.rawValue, slot: Slot.distributionType) }
            return (Tag.observe, builder.endTable())
        case .observeResult:
            return (Tag.observeResult, emptyTable())
        case .tag(let tag):
            let address = builder.createString(tag.address)
            let name = builder.createString(tag.name)
            let value = tensorTable(tag.value)
            builder.startTable()
            builder.add(value, slot: Slot.tagValue)
            builder.add(name, slot: Slot.name)
            builder.add(address, slot: Slot.address)
            return (Tag.tag, builder.endTable())
        case .tagResult:
            return (Tag.tagResult, emptyTable())
        case .reset:
            return (Tag.reset, emptyTable())
        }
    }

    private mutating func emptyTable() -> FlatBufferOffset {
        builder.startTable()
        return builder.endTable()
    }

    /// A `RunResult` or `SampleResult` table: one tensor in slot 0, always written.
    private mutating func tableWithTensor(_ tensor: Tensor?) -> FlatBufferOffset {
        let result = tensorTable(tensor)
        builder.startTable()
        builder.add(result, slot: 0)
        return builder.endTable()
    }

    /// A distribution table: each parameter tensor in wire order.
    private mutating func distributionTable(_ distribution: Distribution) -> FlatBufferOffset {
        // Switched here rather than through `parameters` to spare the array.
        let first: Tensor
        let second: Tensor?
        switch distribution {
        case .normal(let a, let b), .uniform(let a, let b), .beta(let a, let b), .gamma(let a, let b),
            .logNormal(let a, let b), .binomial(let a, let b), .weibull(let a, let b):
            (first, second) = (a, b)
        case .categorical(let a), .poisson(let a), .bernoulli(let a), .exponential(let a):
            (first, second) = (a, nil)
        }
        let firstOffset = tensorTable(first)
        let secondOffset = second.map { tensorTable($0) }
        builder.startTable()
        if let secondOffset { builder.add(secondOffset, slot: 1) }
        builder.add(firstOffset, slot: 0)
        return builder.endTable()
    }

    /// A `Tensor` table with both vectors; `nil` becomes empty `data` and empty `shape`.
    private mutating func tensorTable(_ tensor: Tensor?) -> FlatBufferOffset {
        let data: FlatBufferOffset
        let shape: FlatBufferOffset
        if let tensor {
            data = tensor.scalars.withUnsafeBufferPointer { builder.createVector($0) }
            shape = builder.createInt32Vector(tensor.shape)
        } else {
            data = builder.createVector(UnsafeBufferPointer(start: nil, count: 0))
            shape = builder.createInt32Vector([])
        }
        builder.startTable()
        builder.add(shape, slot: WireSchema.TensorSlot.shape)
        builder.add(data, slot: WireSchema.TensorSlot.data)
        return builder.endTable()
    }
}
