internal import LumisDistributions

/// One flat buffer for every parameter of a network and one, of the same size, for their gradients, stored in the
/// store's ``Precision``.
///
/// Layers hold ``ParameterRange``s into the store; optimizers, the parameter file and the MPI all-reduce work on
/// the two flat buffers. Growing the network (a new proposal head) appends a range; nothing moves, so existing
/// ranges and optimizer moments stay valid. In ``Precision/float32`` values and gradients are `Float` (half the
/// memory and file size of float64) and layers' products run on `sgemm`; see ``Precision``.
///
/// A store is a reference type shared by the layers of one network; it is not `Sendable`: one thread trains it
/// (inference workers may read it concurrently while nobody changes it).
public final class ParameterStore {
    /// The storage format of values and gradients.
    public let precision: Precision
    /// The values in float64 (empty in float32).
    var values64: [Double] = []
    /// The values in float32 (empty in float64).
    var values32: [Float] = []
    /// The gradients in float64 (empty in float32).
    var gradients64: [Double] = []
    /// The gradients in float32 (empty in float64).
    var gradients32: [Float] = []
    /// The ranges handed out so far, in allocation order: the parameter tensors (LARC scales each separately).
    public private(set) var ranges: [ParameterRange]

    /// Creates an empty store.
    public init(precision: Precision = .float64) {
        self.precision = precision
        ranges = []
    }

    /// Creates a store holding `values` (converted to `precision`) split into `ranges`, with zero gradients.
    ///
    /// - Precondition: `ranges` tile `0..<values.count` in order.
    public convenience init(values: [Double], ranges: [ParameterRange], precision: Precision = .float64) {
        self.init(values: .float64(values), ranges: ranges, precision: precision)
    }

    /// Creates a store holding `values` (converted to `precision`) split into `ranges`, with zero gradients.
    ///
    /// - Precondition: `ranges` tile `0..<values.count` in order.
    public init(values: ScalarArray, ranges: [ParameterRange], precision: Precision) {
        var next = 0
        for range in ranges {
            precondition(range.start == next, "Parameter ranges must tile the store in order")
            next = range.end
        }
        precondition(next == values.count, "Parameter ranges cover \(next) of \(values.count) values")
        self.precision = precision
        self.ranges = ranges
        switch values.converted(to: precision) {
        case .float64(let doubles):
            values64 = doubles
            gradients64 = Array(repeating: 0, count: doubles.count)
        case .float32(let floats):
            values32 = floats
            gradients32 = Array(repeating: 0, count: floats.count)
        }
    }

    /// The number of parameters.
    public var count: Int { precision == .float64 ? values64.count : values32.count }

    /// Every parameter as float64, range after range in allocation order (a conversion in float32: for files,
    /// checks and tests, not for inner loops).
    public var values: [Double] { precision == .float64 ? values64 : values32.map(Double.init) }

    /// The values in their storage format.
    public var storedValues: ScalarArray { precision == .float64 ? .float64(values64) : .float32(values32) }

    /// The gradient of the loss with respect to each parameter, as float64.
    ///
    /// Layers' backward passes add into the stored buffer (``withGradients(_:)``); setting converts to the store's
    /// precision.
    ///
    /// - Precondition (set): the count stays `count`.
    public var gradients: [Double] {
        get { precision == .float64 ? gradients64 : gradients32.map(Double.init) }
        set {
            precondition(newValue.count == count, "\(newValue.count) gradients for \(count) parameters")
            if precision == .float64 { gradients64 = newValue } else { gradients32 = newValue.map(Float.init) }
        }
    }

    /// Lends the values to `body` in their storage format.
    public func withValues<R>(_ body: (ScalarBuffer) throws -> R) rethrows -> R {
        try values64.withUnsafeBufferPointer { d in
            try values32.withUnsafeBufferPointer { f in try body(ScalarBuffer(float64: d, float32: f)) }
        }
    }

    /// Lends the values to `body` for writing, in their storage format.
    public func withMutableValues<R>(_ body: (MutableScalarBuffer) throws -> R) rethrows -> R {
        try values64.withUnsafeMutableBufferPointer { d in
            try values32.withUnsafeMutableBufferPointer { f in try body(MutableScalarBuffer(float64: d, float32: f)) }
        }
    }

    /// Lends the gradients to `body` for reading and writing, in their storage format.
    public func withGradients<R>(_ body: (MutableScalarBuffer) throws -> R) rethrows -> R {
        try gradients64.withUnsafeMutableBufferPointer { d in
            try gradients32.withUnsafeMutableBufferPointer { f in
                try body(MutableScalarBuffer(float64: d, float32: f))
            }
        }
    }

    /// Appends `count` parameters filled by `initialization` from `seed`, with zero gradients.
    ///
    /// The values depend only on `initialization`, `count` and `seed` (in float32 they are the float64 draws
    /// rounded), not on what the store held before, so networks built in a different order (or on different
    /// ranks) agree when the callers' seeds agree.
    /// - Returns: the new range.
    /// - Precondition: `count >= 0`.
    public func allocate(_ count: Int, initialization: Initialization, seed: UInt64) -> ParameterRange {
        precondition(count >= 0, "Cannot allocate \(count) parameters")
        let range = ParameterRange(start: self.count, count: count)
        var drawn = [Double](repeating: 0, count: count)
        initialization.fill(&drawn[...], seed: seed)
        if precision == .float64 {
            values64.append(contentsOf: drawn)
            gradients64.append(contentsOf: repeatElement(0, count: count))
        } else {
            values32.append(contentsOf: drawn.lazy.map(Float.init))
            gradients32.append(contentsOf: repeatElement(0, count: count))
        }
        ranges.append(range)
        return range
    }

    /// Sets every gradient to zero (call before each training step's backward passes).
    public func zeroGradients() {
        withGradients { gradients in
            for index in gradients.float64.indices { gradients.float64[index] = 0 }
            for index in gradients.float32.indices { gradients.float32[index] = 0 }
        }
    }

    /// Overwrites the parameters of `range` with `newValues` (rounded in float32; pretrained weights, tests).
    ///
    /// - Precondition: `range` lies in the store and `newValues.count == range.count`.
    public func setValues(_ newValues: [Double], in range: ParameterRange) {
        precondition(range.end <= count, "Range \(range.start)..<\(range.end) is outside the store")
        precondition(newValues.count == range.count, "\(newValues.count) values for a range of \(range.count)")
        if precision == .float64 {
            values64.replaceSubrange(range.start..<range.end, with: newValues)
        } else {
            values32.replaceSubrange(range.start..<range.end, with: newValues.lazy.map(Float.init))
        }
    }

    /// Sets the parameter at `index` (rounded in float32; finite-difference checks perturb one at a time).
    ///
    /// - Precondition: `index` is in `0..<count`.
    public func setValue(_ value: Double, at index: Int) {
        precondition(index >= 0 && index < count, "Parameter index \(index) out of range")
        if precision == .float64 { values64[index] = value } else { values32[index] = Float(value) }
    }

    /// A seed for the `index`-th tensor of a layer created with `seed`: distinct, well-mixed seeds per tensor.
    static func derivedSeed(_ seed: UInt64, _ index: UInt64) -> UInt64 {
        SplitMix64.mix(seed ^ SplitMix64.mix(index &+ 0x632B_E59B_D9B4_E019))
    }
}
