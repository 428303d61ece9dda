import LumisDistributions
import LumisTensor

/// Decodes PPX frames into ``Message`` values, verifying every byte it relies on.
///
/// The frame is read in place (no copy of the buffer); only the decoded strings and tensor storage are
/// allocated. A frame may carry the `PPXF` file identifier or not. Fields the schema does not know are ignored,
/// missing trailing vtable entries read as absent fields. Objects must be aligned as FlatBuffers writers align
/// them (the FlatBuffers verifier's default): a misaligned vector or table is rejected with
/// ``WireError/misaligned(offset:alignment:field:)``.
///
/// Tensor rules (pyprob's): an absent tensor or one with no data is `nil`; shape `[]` with one datum is a
/// scalar, with `n > 1` data the 1-D shape `[n]`; otherwise the shape's element count must equal the data
/// count. A distribution parameter that is absent or empty decodes as the empty tensor of shape `[0]`, left for
/// the engine to reject with the address in hand.
public enum MessageDecoder {
    /// Decodes one frame.
    ///
    /// - Parameter frame: The bytes of one ZeroMQ frame; only read during the call.
    /// - Returns: The message.
    /// - Throws: ``WireError`` naming the malformed field.
    public static func decode(_ frame: UnsafeRawBufferPointer) throws(WireError) -> Message {
        try MessageReader(reader: FlatBufferReader(bytes: frame)).message()
    }

    /// Decodes one frame held in an array.
    ///
    /// - Throws: ``WireError`` naming the malformed field.
    public static func decode(_ frame: [UInt8]) throws(WireError) -> Message {
        // `withUnsafeBytes` rethrows untyped; keep the typed error by passing it out as a value.
        let result: Result<Message, WireError> = frame.withUnsafeBytes { bytes in
            Result { () throws(WireError) -> Message in try decode(bytes) }
        }
        return try result.get()
    }
}

/// Maps PPX tables onto message values over a ``FlatBufferReader``.
private struct MessageReader {
    let reader: FlatBufferReader

    typealias Slot = WireSchema.SiteSlot

    func message() throws(WireError) -> Message {
        let root = try reader.rootTable()
        let tag = try reader.uint8(WireSchema.MessageSlot.bodyType, of: root, name: "Message.body_type") ?? 0
        guard tag != 0 else { throw .missingBody }
        guard tag <= WireSchema.BodyTag.reset else { throw .unknownUnionTag(tag, union: "MessageBody") }
        guard let position = try reader.target(WireSchema.MessageSlot.body, of: root, name: "Message.body") else {
            throw .missingBody
        }
        switch tag {
        case WireSchema.BodyTag.handshake:
            let table = try reader.table(at: position, name: "Handshake")
            return .handshake(systemName: try reader.string(0, of: table, name: "Handshake.system_name") ?? "")
        case WireSchema.BodyTag.handshakeResult:
            let table = try reader.table(at: position, name: "HandshakeResult")
            return .handshakeResult(
                systemName: try reader.string(0, of: table, name: "HandshakeResult.system_name") ?? "",
                modelName: try reader.string(1, of: table, name: "HandshakeResult.model_name") ?? ""
            )
        case WireSchema.BodyTag.run:
            _ = try reader.table(at: position, name: "Run")
            return .run
        case WireSchema.BodyTag.runResult:
            let table = try reader.table(at: position, name: "RunResult")
            return .runResult(result: try tensor(0, of: table, name: "RunResult.result"))
        case WireSchema.BodyTag.sample:
            return .sample(try sample(at: position))
        case WireSchema.BodyTag.sampleResult:
            let table = try reader.table(at: position, name: "SampleResult")
            return .sampleResult(result: try tensor(0, of: table, name: "SampleResult.result"))
        case WireSchema.BodyTag.observe:
            return .observe(try observe(at: position))
        case WireSchema.BodyTag.observeResult:
            _ = try reader.table(at: position, name: "ObserveResult")
            return .observeResult
        case WireSchema.BodyTag.tag:
            let table = try reader.table(at: position, name: "Tag")
            return .tag(
                Tag(
                    address: try reader.string(Slot.address, of: table, name: "Tag.address") ?? "",
                    name: try reader.string(Slot.name, of: table, name: "Tag.name") ?? "",
                    value: try tensor(Slot.tagValue, of: table, name: "Tag.value")
                )
            )
        case WireSchema.BodyTag.tagResult:
            _ = try reader.table(at: position, name: "TagResult")
            return .tagResult
        default:
            _ = try reader.table(at: position, name: "Reset")
            return .reset
        }
    }

    func sample(at position: Int) throws(WireError) -> Sample {
        let table = try reader.table(at: position, name: "Sample")
        return Sample(
            address: try reader.string(Slot.address, of: table, name: "Sample.address") ?? "",
            name: try reader.string(Slot.name, of: table, name: "Sample.name") ?? "",
            distribution: try distribution(of: table, name: "Sample"),
            isControlled: try reader.uint8(Slot.controlOrValue, of: table, name: "Sample.control").map { $0 != 0 }
                ?? true
        )
    }

    func observe(at position: Int) throws(WireError) -> Observe {
        let table = try reader.table(at: position, name: "Observe")
        return Observe(
            address: try reader.string(Slot.address, of: table, name: "Observe.address") ?? "",
            name: try reader.string(Slot.name, of: table, name: "Observe.name") ?? "",
            distribution: try distribution(of: table, name: "Observe"),
            value: try tensor(Slot.controlOrValue, of: table, name: "Observe.value")
        )
    }

    /// The `distribution` union of a `Sample` or `Observe` table; `nil` for NONE.
    func distribution(of site: FlatBufferReader.Table, name: StaticString) throws(WireError) -> Distribution? {
        let tag = try reader.uint8(Slot.distributionType, of: site, name: "\(name).distribution_type") ?? 0
        guard tag != 0 else { return nil }
        guard let kind = DistributionKind(rawValue: tag) else { throw .unknownUnionTag(tag, union: "Distribution") }
        guard let position = try reader.target(Slot.distribution, of: site, name: "\(name).distribution") else {
            throw .missingUnionValue(union: "\(name).distribution")
        }
        let table = try reader.table(at: position, name: kind.name)
        // Built case by case rather than through `init(kind:parameters:)` to spare the parameter array.
        func parameter(_ slot: Int) throws(WireError) -> Tensor {
            try tensor(slot, of: table, name: "\(kind.name).\(kind.parameterNames[slot])")
                ?? Tensor(shape: [0], scalars: ContiguousArray())
        }
        switch kind {
        case .normal: return .normal(mean: try parameter(0), stddev: try parameter(1))
        case .uniform: return .uniform(low: try parameter(0), high: try parameter(1))
        case .categorical: return .categorical(probs: try parameter(0))
        case .poisson: return .poisson(rate: try parameter(0))
        case .bernoulli: return .bernoulli(probs: try parameter(0))
        case .beta: return .beta(concentration1: try parameter(0), concentration0: try parameter(1))
        case .exponential: return .exponential(rate: try parameter(0))
        case .gamma: return .gamma(concentration: try parameter(0), rate: try parameter(1))
        case .logNormal: return .logNormal(loc: try parameter(0), scale: try parameter(1))
        case .binomial: return .binomial(totalCount: try parameter(0), probs: try parameter(1))
        case .weibull: return .weibull(scale: try parameter(0), concentration: try parameter(1))
        }
    }

    /// The `Tensor` table in `slot`, or `nil` when the field is absent or the tensor has no data.
    func tensor(
        _ slot: Int,
        of owner: FlatBufferReader.Table,
        name: @autoclosure () -> String
    ) throws(WireError) -> Tensor? {
        guard let position = try reader.target(slot, of: owner, name: name()) else { return nil }
        let table = try reader.table(at: position, name: name())
        typealias TensorSlot = WireSchema.TensorSlot
        var rank = 0
        var dimensionsStart = 0
        if let shapePosition = try reader.target(TensorSlot.shape, of: table, name: name() + ".shape") {
            let shape = try reader.vector(at: shapePosition, elementSize: 4, name: name() + ".shape")
            rank = shape.count
            dimensionsStart = shape.start
        }
        func dimension(_ index: Int) -> Int { Int(reader.load(dimensionsStart + 4 * index, as: Int32.self)) }
        func shapeArray() -> [Int] { (0..<rank).map(dimension) }
        for index in 0..<rank where dimension(index) < 0 {
            throw .negativeDimension(shape: shapeArray(), field: name())
        }

        guard let dataPosition = try reader.target(TensorSlot.data, of: table, name: name() + ".data") else {
            return nil
        }
        let data = try reader.vector(at: dataPosition, elementSize: 8, name: name() + ".data")
        guard data.count > 0 else { return nil }

        let shape: [Int]
        if rank == 0 {
            shape = data.count == 1 ? [] : [data.count]
        } else {
            var elementCount = 1
            for index in 0..<rank {
                let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension(index))
                guard !overflow else {
                    throw .tensorShapeMismatch(shape: shapeArray(), count: data.count, field: name())
                }
                elementCount = product
            }
            guard elementCount == data.count else {
                throw .tensorShapeMismatch(shape: shapeArray(), count: data.count, field: name())
            }
            shape = shapeArray()
        }
        // Grown with `reserveCapacity` + `append`, which are specialised here. The uninitialised-capacity
        // initialiser goes through a non-inlinable stdlib entry that looks up `_ContiguousArrayStorage<Double>`
        // metadata on every call: about 600 instructions per tensor, a fifth of decoding a GUM Observe (callgrind).
        var scalars = ContiguousArray<Double>()
        scalars.reserveCapacity(data.count)
        for index in 0..<data.count {
            scalars.append(Double(bitPattern: reader.load(data.start + 8 * index, as: UInt64.self)))
        }
        return Tensor(shape: shape, scalars: scalars)
    }
}
