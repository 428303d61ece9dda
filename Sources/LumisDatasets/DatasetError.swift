/// Why a dataset cannot be written, resumed or read: one line naming the file (and offset) at fault.
public struct DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file or directory at fault.
    public var path: String
    /// The byte offset within `path` where the fault was found, if it concerns a position.
    public var offset: Int?
    /// What is wrong, without the path.
    public var reason: String

    /// Creates an error.
    public init(path: String, offset: Int? = nil, reason: String) {
        self.path = path
        self.offset = offset
        self.reason = reason
    }

    /// `file X, offset Y: reason` or `X: reason`.
    public var description: String {
        if let offset { return "file \(path), offset \(offset): \(reason)" }
        return "\(path): \(reason)"
    }
}
