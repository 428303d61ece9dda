/// A contiguous block of a ``ParameterStore``: one parameter tensor (a weight matrix, a bias, a table).
///
/// Ranges are handed out by ``ParameterStore/allocate(_:initialization:seed:)`` and never move: the store only
/// grows by appending.
public struct ParameterRange: Sendable, Hashable, Codable {
    /// The index of the first element in the store's flat buffers.
    public var start: Int
    /// The number of elements.
    public var count: Int

    /// Creates a range.
    ///
    /// - Precondition: `start >= 0` and `count >= 0`.
    public init(start: Int, count: Int) {
        precondition(start >= 0 && count >= 0, "Parameter range \(start)..<\(start + count) is invalid")
        self.start = start
        self.count = count
    }

    /// One past the last element.
    public var end: Int { start + count }
}
