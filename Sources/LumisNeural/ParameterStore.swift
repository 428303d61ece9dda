import Foundation
internal import LumisDistributions

/// One flat buffer for every parameter of a network and one, of the same size, for their gradients.
///
/// Layers hold ``ParameterRange``s into the store; optimizers, the parameter file and a future MPI all-reduce
/// work on the two flat arrays. Growing the network (a new proposal head) appends a range; nothing moves, so
/// existing ranges and optimizer moments stay valid.
///
/// A store is a reference type shared by the layers of one network; it is not `Sendable`: one thread trains it.
public final class ParameterStore {
    /// Every parameter, range after range in allocation order.
    public internal(set) var values: [Double] {
        didSet { float32Copy.withLock { $0.isCurrent = false } }
    }
    /// The gradient of the loss with respect to each parameter; layers' backward passes add into it.
    ///
    /// Keep its count equal to `values.count` (only element values may be changed from outside).
    public var gradients: [Double]
    /// The ranges handed out so far, in allocation order: the parameter tensors (LARC scales each separately).
    public private(set) var ranges: [ParameterRange]

    /// Creates an empty store.
    public init() {
        values = []
        gradients = []
        ranges = []
    }

    /// Creates a store holding `values` split into `ranges` (used when loading a file), with zero gradients.
    ///
    /// - Precondition: `ranges` tile `0..<values.count` in order.
    public init(values: [Double], ranges: [ParameterRange]) {
        var next = 0
        for range in ranges {
            precondition(range.start == next, "Parameter ranges must tile the store in order")
            next = range.end
        }
        precondition(next == values.count, "Parameter ranges cover \(next) of \(values.count) values")
        self.values = values
        self.gradients = Array(repeating: 0, count: values.count)
        self.ranges = ranges
    }

    /// `values` rounded to float32, for products computed in float32 (``Precision/float32``); guarded, since
    /// inference workers read it concurrently.
    private let float32Copy = Float32Copy()

    private final class Float32Copy: @unchecked Sendable {
        // Invariant: `values` and `isCurrent` are accessed only under `lock`.
        let lock = NSLock()
        var values: [Float] = []
        var isCurrent = false

        func withLock<R>(_ body: (Float32Copy) -> R) -> R {
            lock.lock()
            defer { lock.unlock() }
            return body(self)
        }
    }

    /// `values` rounded to float32, rebuilt on the first call after the values changed (one pass over the store,
    /// so once per optimizer step in training and once per run in inference).
    ///
    /// Safe to call from several threads while nobody changes `values`.
    public func float32Values() -> [Float] {
        float32Copy.withLock { copy in
            if !copy.isCurrent {
                if copy.values.count != values.count { copy.values = [Float](repeating: 0, count: values.count) }
                values.withUnsafeBufferPointer { source in
                    copy.values.withUnsafeMutableBufferPointer { target in
                        for i in source.indices { target[i] = Float(source[i]) }
                    }
                }
                copy.isCurrent = true
            }
            return copy.values
        }
    }

    /// The number of parameters.
    public var count: Int { values.count }

    /// Appends `count` parameters filled by `initialization` from `seed`, with zero gradients.
    ///
    /// The values depend only on `initialization`, `count` and `seed`, not on what the store held before, so
    /// networks built in a different order (or on different ranks) agree when the callers' seeds agree.
    /// - Returns: the new range.
    /// - Precondition: `count >= 0`.
    public func allocate(_ count: Int, initialization: Initialization, seed: UInt64) -> ParameterRange {
        precondition(count >= 0, "Cannot allocate \(count) parameters")
        let range = ParameterRange(start: values.count, count: count)
        values.append(contentsOf: repeatElement(0, count: count))
        gradients.append(contentsOf: repeatElement(0, count: count))
        initialization.fill(&values[range.start..<range.end], seed: seed)
        ranges.append(range)
        return range
    }

    /// Sets every gradient to zero (call before each training step's backward passes).
    public func zeroGradients() {
        gradients.withUnsafeMutableBufferPointer { buffer in
            for index in buffer.indices { buffer[index] = 0 }
        }
    }

    /// Overwrites the parameters of `range` with `newValues` (pretrained weights, tests).
    ///
    /// - Precondition: `range` lies in the store and `newValues.count == range.count`.
    public func setValues(_ newValues: [Double], in range: ParameterRange) {
        precondition(range.end <= values.count, "Range \(range.start)..<\(range.end) is outside the store")
        precondition(newValues.count == range.count, "\(newValues.count) values for a range of \(range.count)")
        values.replaceSubrange(range.start..<range.end, with: newValues)
    }

    /// Sets the parameter at `index` (finite-difference checks perturb one parameter at a time).
    ///
    /// - Precondition: `index` is in `0..<count`.
    public func setValue(_ value: Double, at index: Int) {
        precondition(index >= 0 && index < values.count, "Parameter index \(index) out of range")
        values[index] = value
    }

    /// A seed for the `index`-th tensor of a layer created with `seed`: distinct, well-mixed seeds per tensor.
    static func derivedSeed(_ seed: UInt64, _ index: UInt64) -> UInt64 {
        SplitMix64.mix(seed ^ SplitMix64.mix(index &+ 0x632B_E59B_D9B4_E019))
    }
}
