import Glibc
import LumisStorage

/// A parameter store, optionally its optimizer's state, and opaque metadata, as one versioned binary file.
///
/// Layout (version 2; every field little-endian; floating-point values as IEEE-754 bit patterns):
/// ```
/// offset  size  field
///      0     8  magic "LUMISPRM"
///      8     4  format version (UInt32) = 2
///     12     4  optimizer kind (UInt32): 0 none, 1 Adam, 2 SGD, 3 LARC(Adam), 4 LARC(SGD)
///     16     8  total file length in bytes, checksum included (UInt64)
///     24     8  parameter count N
///     32     8  range count R
///     40     8  metadata byte count M
///     48     8  scalar width W (UInt64): 8 for float64 parameters, 4 for float32 (the store's ``Precision``)
///     56  8·R   range lengths (UInt64; ranges tile 0..<N in order)
///         W·N   parameter values (Double or Float)
///               optimizer section (absent for kind 0):
///                 LARC kinds first: trust coefficient, epsilon, fallback rate (Double), clip (UInt64 0/1)
///                 Adam: learning rate, beta1, beta2, epsilon, weight decay (Double), step (UInt64),
///                       moment count K (UInt64), segment count S (UInt64), S × (start, steps before) (UInt64),
///                       K first moments, K second moments (W bytes each, like the values)
///                 SGD:  learning rate, momentum, weight decay (Double), nesterov (UInt64 0/1), step (UInt64),
///                       velocity count K (UInt64), K velocities (Double)
///            M  metadata (opaque bytes: the caller's network description, e.g. JSON)
///            8  checksum: FNV-1a 64 of every preceding byte (UInt64)
/// ```
/// Hyperparameters and SGD's velocities are always Double. Version 1 (written before float32 storage) lacks the
/// scalar width field and holds float64 values and moments; it is read, as float64. Gradients are not saved.
/// Reading checks, in order: magic, version, length, checksum, then consistency, and throws a
/// ``ParameterFileError`` naming the first problem; it never traps on a bad file.
public struct ParameterFile: Sendable, Equatable {
    /// The format version this build writes and reads.
    public static let version: UInt32 = 2
    /// The first eight bytes of every parameter file.
    static let magic: [UInt8] = Array("LUMISPRM".utf8)
    /// Every parameter value, in the store's storage format.
    public var values: ScalarArray
    /// The parameter tensors, tiling `values` in order.
    public var ranges: [ParameterRange]
    /// The optimizer's state, if saved (a checkpoint to resume from).
    public var optimizer: Optimizer?
    /// Opaque bytes for the caller (network configuration, address table, ...).
    public var metadata: [UInt8]

    /// Captures `store`'s values and ranges with the optimizer state and metadata.
    public init(store: ParameterStore, optimizer: Optimizer? = nil, metadata: [UInt8] = []) {
        values = store.storedValues
        ranges = store.ranges
        self.optimizer = optimizer
        self.metadata = metadata
    }

    /// The format the values are stored in.
    public var precision: Precision { values.precision }

    /// A new store holding the saved values and ranges (gradients zero), in `precision` (default: the file's;
    /// another converts).
    public func makeStore(precision: Precision? = nil) -> ParameterStore {
        ParameterStore(values: values, ranges: ranges, precision: precision ?? self.precision)
    }

    // MARK: Encoding

    /// The file's bytes.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.write(bytes: ParameterFile.magic)
        writer.write(ParameterFile.version)
        writer.write(UInt32(optimizerKind))
        let lengthOffset = writer.count
        writer.write(UInt64(0))  // total length, patched below
        writer.write(UInt64(values.count))
        writer.write(UInt64(ranges.count))
        writer.write(UInt64(metadata.count))
        writer.write(UInt64(precision == .float64 ? 8 : 4))
        for range in ranges { writer.write(UInt64(range.count)) }
        writer.write(values)
        switch optimizer {
        case nil: break
        case .adam(let adam): writer.write(adam, precision: precision)
        case .sgd(let sgd): writer.write(sgd)
        case .larcAdam(let larc):
            writer.writeLARC(larc)
            writer.write(larc.base, precision: precision)
        case .larcSGD(let larc):
            writer.writeLARC(larc)
            writer.write(larc.base)
        }
        writer.write(bytes: metadata)
        writer.overwrite(UInt64(writer.count + 8), at: lengthOffset)
        writer.write(fnv1a64(writer.bytes))
        return writer.bytes
    }

    /// The kind code of the optimizer section.
    private var optimizerKind: Int {
        switch optimizer {
        case nil: 0
        case .adam: 1
        case .sgd: 2
        case .larcAdam: 3
        case .larcSGD: 4
        }
    }

    // MARK: Decoding

    /// Decodes a file's bytes.
    ///
    /// - Throws: ``ParameterFileError`` for a wrong magic, an unsupported version, a truncated or over-long file,
    ///   a checksum mismatch, or inconsistent content.
    public init(decoding bytes: [UInt8]) throws(ParameterFileError) {
        guard bytes.count >= 8 else {
            // Too short to tell: a prefix of the magic is a truncated file, anything else is not ours.
            if bytes.elementsEqual(ParameterFile.magic.prefix(bytes.count)) {
                throw .truncated(expectedBytes: 48 + 8, actualBytes: bytes.count)
            }
            throw .wrongMagic
        }
        guard bytes[0..<8].elementsEqual(ParameterFile.magic) else { throw .wrongMagic }
        // Version 1's header is 48 bytes; enough to read the version and the declared length.
        guard bytes.count >= 48 + 8 else { throw .truncated(expectedBytes: 48 + 8, actualBytes: bytes.count) }
        let bodyEnd = bytes.count - 8
        var header = ByteReader(bytes, in: 8..<24)
        var checksumReader = ByteReader(bytes, in: bodyEnd..<bytes.count)
        // In range by the length check above.
        guard let version = try? header.read(UInt32.self), let kind = try? header.read(UInt32.self),
            let declared = try? header.read(UInt64.self), let stored = try? checksumReader.read(UInt64.self)
        else { preconditionFailure("the header was length-checked") }
        guard version == ParameterFile.version || version == 1 else {
            throw .unsupportedVersion(found: version, supported: ParameterFile.version)
        }
        guard declared <= UInt64(Int.max) else { throw .malformed("declared length \(declared) is impossible") }
        if Int(declared) > bytes.count { throw .truncated(expectedBytes: Int(declared), actualBytes: bytes.count) }
        if Int(declared) < bytes.count { throw .trailingBytes(expectedBytes: Int(declared), actualBytes: bytes.count) }
        let computed = fnv1a64(bytes[0..<bodyEnd])
        guard stored == computed else { throw .checksumMismatch(stored: stored, computed: computed) }
        var reader = ByteReader(bytes, in: 24..<bodyEnd)
        do throws(ByteReader.Malformed) {
            try self.init(decodingBody: &reader, version: version, optimizerKind: kind)
        } catch {
            throw .malformed(error.description)
        }
    }

    /// Decodes what follows the first 24 bytes (magic, version, optimizer kind, length), up to the checksum.
    private init(
        decodingBody reader: inout ByteReader, version: UInt32, optimizerKind kind: UInt32
    ) throws(ByteReader.Malformed) {
        let parameterCount = try reader.count("parameter count")
        let rangeCount = try reader.count("range count")
        let metadataCount = try reader.count("metadata length")
        var precision = Precision.float64
        if version >= 2 {
            let start = reader.offset
            switch try reader.read(UInt64.self, "scalar width") {
            case 8: precision = .float64
            case 4: precision = .float32
            case let other:
                throw ByteReader.Malformed(
                    offset: start, reason: "scalar width \(other) is neither 8 (float64) nor 4 (float32)")
            }
        }
        var ranges: [ParameterRange] = []
        var next = 0
        for _ in 0..<rangeCount {
            let length = try reader.count("range length")
            guard length <= parameterCount - next else {
                throw reader.fault("ranges exceed \(parameterCount) parameters")
            }
            ranges.append(ParameterRange(start: next, count: length))
            next += length
        }
        guard next == parameterCount else { throw reader.fault("ranges cover \(next) of \(parameterCount) parameters") }
        values = try reader.scalars(parameterCount, precision, "parameter values")
        self.ranges = ranges
        switch kind {
        case 0: optimizer = nil
        case 1: optimizer = .adam(try reader.adam(parameterCount: parameterCount, precision: precision))
        case 2: optimizer = .sgd(try reader.sgd(parameterCount: parameterCount))
        case 3:
            let (trust, epsilon, fallback, clip) = try reader.larcFields()
            let base = try reader.adam(parameterCount: parameterCount, precision: precision)
            optimizer = .larcAdam(
                LARC(base, trustCoefficient: trust, clip: clip, epsilon: epsilon, fallbackRate: fallback))
        case 4:
            let (trust, epsilon, fallback, clip) = try reader.larcFields()
            let base = try reader.sgd(parameterCount: parameterCount)
            optimizer = .larcSGD(
                LARC(base, trustCoefficient: trust, clip: clip, epsilon: epsilon, fallbackRate: fallback))
        default: throw ByteReader.Malformed(offset: 12, reason: "unknown optimizer kind \(kind)")
        }
        metadata = try reader.readBytes(count: metadataCount, "metadata")
        guard reader.isAtEnd else { throw reader.fault("\(reader.remaining) unexplained bytes before the checksum") }
    }

    // MARK: Files

    /// Writes the file atomically (LumisStorage's one atomic write: an exclusive temporary sibling, `fsync`,
    /// `rename`, `fsync` of the directory), so readers see the old file or the complete new one, never a torn
    /// write.
    ///
    /// - Throws: ``ParameterFileError/system(operation:path:message:)`` naming the failed step; no temporary file
    ///   is left behind.
    public func write(toFile path: String) throws(ParameterFileError) {
        do {
            try writeAtomically(encoded(), toFile: path)
        } catch {
            throw .system(operation: "writing", path: error.path, message: error.reason)
        }
    }

    /// Reads and decodes the file at `path`.
    ///
    /// - Throws: ``ParameterFileError``: a system error naming the path, or any decoding error.
    public init(contentsOfFile path: String) throws(ParameterFileError) {
        try self.init(decoding: try Self.bytes(ofFile: path))
    }

    /// Reads and decodes the file at `path`, with its checksum (the FNV-1a 64 hash it ends with, which identifies
    /// its content).
    ///
    /// - Throws: as ``init(contentsOfFile:)``.
    public static func readWithChecksum(
        contentsOfFile path: String
    ) throws(ParameterFileError) -> (file: ParameterFile, checksum: UInt64) {
        let bytes = try bytes(ofFile: path)
        let file = try ParameterFile(decoding: bytes)
        // Decoding checked the length and that these last 8 bytes are the checksum of the rest.
        var reader = ByteReader(bytes, in: (bytes.count - 8)..<bytes.count)
        guard let checksum = try? reader.read(UInt64.self) else { preconditionFailure("a decoded file has a checksum") }
        return (file, checksum)
    }

    /// The bytes of the file at `path`.
    private static func bytes(ofFile path: String) throws(ParameterFileError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw .system(operation: "opening", path: path, message: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let result = chunk.withUnsafeMutableBytes { raw in read(descriptor, raw.baseAddress, raw.count) }
            if result < 0 {
                if errno == EINTR { continue }
                throw .system(operation: "reading", path: path, message: String(cString: strerror(errno)))
            }
            if result == 0 { break }
            bytes.append(contentsOf: chunk[0..<result])
        }
        return bytes
    }
}

// The value and optimizer sections (layout in the type's documentation).
extension ByteWriter {
    fileprivate mutating func write(_ values: ScalarArray) {
        switch values {
        case .float64(let doubles): write(doubles: doubles)
        case .float32(let floats): write(floats: floats)
        }
    }

    /// Adam's state, its moments in `precision` (the parameters').
    fileprivate mutating func write(_ adam: Adam, precision: Precision) {
        write(doubles: [adam.learningRate, adam.beta1, adam.beta2, adam.epsilon, adam.weightDecay])
        write(UInt64(adam.step))
        write(UInt64(adam.firstMoments.count))
        write(UInt64(adam.segments.count))
        for segment in adam.segments {
            write(UInt64(segment.start))
            write(UInt64(segment.stepsBefore))
        }
        write(adam.storedFirstMoments.converted(to: precision))
        write(adam.storedSecondMoments.converted(to: precision))
    }

    fileprivate mutating func write(_ sgd: SGD) {
        write(doubles: [sgd.learningRate, sgd.momentum, sgd.weightDecay])
        write(UInt64(sgd.nesterov ? 1 : 0))
        write(UInt64(sgd.step))
        write(UInt64(sgd.velocities.count))
        write(doubles: sgd.velocities)
    }

    fileprivate mutating func writeLARC<Base>(_ larc: LARC<Base>) {
        write(doubles: [larc.trustCoefficient, larc.epsilon, larc.fallbackRate])
        write(UInt64(larc.clip ? 1 : 0))
    }
}

extension ByteReader {
    /// A 64-bit count that must fit in the remaining data (each counted item is at least one byte).
    fileprivate mutating func count(_ what: String) throws(Malformed) -> Int {
        let start = offset
        let value = try read(UInt64.self, what)
        guard value <= UInt64(remaining) else {
            throw Malformed(offset: start, reason: "\(what) \(value) exceeds the file size")
        }
        return Int(value)
    }

    fileprivate mutating func scalars(_ count: Int, _ precision: Precision, _ what: String) throws(Malformed)
        -> ScalarArray
    {
        switch precision {
        case .float64: .float64(try readDoubles(count: count, what))
        case .float32: .float32(try readFloats(count: count, what))
        }
    }

    fileprivate mutating func flag(_ what: String) throws(Malformed) -> Bool {
        let start = offset
        switch try read(UInt64.self, what) {
        case 0: return false
        case 1: return true
        case let other: throw Malformed(offset: start, reason: "\(what) is \(other), expected 0 or 1")
        }
    }

    /// Checks a hyperparameter against `valid`, so that decoding never reaches an optimizer's precondition.
    fileprivate mutating func hyperparameter(_ what: String, _ valid: (Double) -> Bool) throws(Malformed) -> Double {
        let start = offset
        let value = try readDouble(what)
        guard valid(value) else { throw Malformed(offset: start, reason: "\(what) \(value) is out of range") }
        return value
    }

    fileprivate mutating func adam(parameterCount: Int, precision: Precision) throws(Malformed) -> Adam {
        let learningRate = try hyperparameter("Adam learning rate") { $0 >= 0 && $0.isFinite }
        let beta1 = try hyperparameter("Adam beta1") { $0 >= 0 && $0 < 1 }
        let beta2 = try hyperparameter("Adam beta2") { $0 >= 0 && $0 < 1 }
        let epsilon = try hyperparameter("Adam epsilon") { $0 > 0 && $0.isFinite }
        let weightDecay = try hyperparameter("Adam weight decay") { $0 >= 0 && $0.isFinite }
        let step = try count("Adam step")
        let momentCount = try count("Adam moment count")
        guard momentCount <= parameterCount else {
            throw fault("Adam has \(momentCount) moments for \(parameterCount) parameters")
        }
        let segmentCount = try count("Adam segment count")
        var segments: [Adam.Segment] = []
        for index in 0..<segmentCount {
            let start = try count("Adam segment start")
            let stepsBefore = try count("Adam segment step")
            let previous = segments.last
            guard (index == 0 ? start == 0 : start > previous!.start) && start < momentCount,  // index > 0: non-nil
                stepsBefore >= (previous?.stepsBefore ?? 0), stepsBefore < step
            else { throw fault("Adam segment \(index) (start \(start), step \(stepsBefore)) is inconsistent") }
            segments.append(Adam.Segment(start: start, stepsBefore: stepsBefore))
        }
        guard segments.isEmpty == (momentCount == 0) else {
            throw fault("Adam segments do not cover its \(momentCount) moments")
        }
        let first = try scalars(momentCount, precision, "Adam first moments")
        let second = try scalars(momentCount, precision, "Adam second moments")
        return Adam(
            learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
            step: step, firstMoments: first, secondMoments: second, segments: segments)
    }

    fileprivate mutating func sgd(parameterCount: Int) throws(Malformed) -> SGD {
        let learningRate = try hyperparameter("SGD learning rate") { $0 >= 0 && $0.isFinite }
        let momentum = try hyperparameter("SGD momentum") { $0 >= 0 && $0.isFinite }
        let weightDecay = try hyperparameter("SGD weight decay") { $0 >= 0 && $0.isFinite }
        let nesterov = try flag("SGD nesterov flag")
        guard !nesterov || momentum > 0 else { throw fault("SGD is Nesterov with zero momentum") }
        let step = try count("SGD step")
        let velocityCount = try count("SGD velocity count")
        guard velocityCount <= parameterCount else {
            throw fault("SGD has \(velocityCount) velocities for \(parameterCount) parameters")
        }
        let velocities = try readDoubles(count: velocityCount, "SGD velocities")
        return SGD(
            learningRate: learningRate, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay, step: step,
            velocities: velocities)
    }

    fileprivate mutating func larcFields() throws(Malformed) -> (Double, Double, Double, Bool) {
        let trust = try hyperparameter("LARC trust coefficient") { $0 > 0 && $0.isFinite }
        let epsilon = try hyperparameter("LARC epsilon") { $0 > 0 && $0.isFinite }
        let fallback = try hyperparameter("LARC fallback rate") { $0 > 0 && $0.isFinite }
        let clip = try flag("LARC clip flag")
        return (trust, epsilon, fallback, clip)
    }
}
