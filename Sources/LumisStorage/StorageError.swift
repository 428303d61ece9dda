/// A file that cannot be written, naming the file and the failing step with the system's reason.
public struct StorageError: Error, Equatable, CustomStringConvertible {
    /// The file's path.
    public var path: String
    /// What went wrong.
    public var reason: String

    /// Creates an error.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// `'<path>': <reason>`.
    public var description: String { "'\(path)': \(reason)" }
}
