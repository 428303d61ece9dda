import Glibc
import LumisStorage

/// A posterior file that cannot be written or read, naming the file and what is wrong.
public struct PosteriorFileError: Error, Equatable, CustomStringConvertible {
    /// The file's path.
    public var path: String
    /// What went wrong.
    public var reason: String

    /// Creates an error.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// `posterior file '<path>': <reason>`.
    public var description: String { "posterior file '\(path)': \(reason)" }
}

extension PosteriorSummary {
    /// Writes the posterior file atomically: to a temporary file in the same directory, flushed to disk with
    /// `fsync`, then renamed over `path`.
    ///
    /// Readers see either the old file or the complete new one.
    ///
    /// - Throws: ``PosteriorFileError`` naming `path` and the failing step (with the system's reason); no
    /// temporary file is left behind.
    public func write(toFile path: String) throws(PosteriorFileError) {
        do {
            try writeAtomically(Array(jsonText().utf8), toFile: path)
        } catch {
            throw PosteriorFileError(path: error.path, reason: error.reason)
        }
    }

    /// Reads a posterior file.
    ///
    /// - Throws: ``PosteriorFileError`` naming `path` and what is wrong (unreadable, invalid JSON, not a Lumis
    ///   posterior, unsupported version, missing or mistyped field).
    public init(contentsOfFile path: String) throws(PosteriorFileError) {
        try self.init(jsonText: try readFile(path), path: path)
    }
}

/// The bytes of the file at `path`.
private func readFile(_ path: String) throws(PosteriorFileError) -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw PosteriorFileError(path: path, reason: "cannot open: \(systemMessage(errno))") }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let result = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if result < 0 {
            if errno == EINTR { continue }
            throw PosteriorFileError(path: path, reason: "cannot read: \(systemMessage(errno))")
        }
        if result == 0 { return bytes }
        bytes.append(contentsOf: chunk[0..<result])
    }
}
