import Glibc

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
        try writeAtomically(Array(jsonText().utf8), toFile: path)
    }

    /// Reads a posterior file.
    ///
    /// - Throws: ``PosteriorFileError`` naming `path` and what is wrong (unreadable, invalid JSON, not a Lumis
    ///   posterior, unsupported version, missing or mistyped field).
    public init(contentsOfFile path: String) throws(PosteriorFileError) {
        try self.init(jsonText: try readFile(path), path: path)
    }
}

/// The system's message for `code`.
private func systemMessage(_ code: Int32) -> String { String(cString: strerror(code)) }

/// Writes `bytes` to `path` through a temporary sibling file, `fsync` and `rename`.
///
/// - Throws: ``PosteriorFileError`` naming `path` and the failing step.
package func writeAtomically(_ bytes: [UInt8], toFile path: String) throws(PosteriorFileError) {
    precondition(!path.isEmpty, "Empty output path")
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
    guard !base.isEmpty else { throw PosteriorFileError(path: path, reason: "path names a directory") }
    // The process id makes the name unique among concurrent writers; O_EXCL refuses to reuse a stale file.
    var temporary = ""
    var descriptor: Int32 = -1
    for attempt in 0..<100 {
        temporary = "\(directory)/.\(base).tmp-\(getpid())-\(attempt)"
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if descriptor >= 0 || errno != EEXIST { break }
    }
    guard descriptor >= 0 else {
        throw PosteriorFileError(
            path: path, reason: "cannot create a temporary file in '\(directory)': \(systemMessage(errno))")
    }
    func fail(_ step: String, _ code: Int32) -> PosteriorFileError {
        unlink(temporary)
        return PosteriorFileError(path: path, reason: "\(step) failed: \(systemMessage(code))")
    }
    var written = 0
    while written < bytes.count {
        let result = bytes.withUnsafeBytes { buffer in
            Glibc.write(descriptor, buffer.baseAddress! + written, buffer.count - written)  // count > 0: non-nil
        }
        if result < 0 {
            if errno == EINTR { continue }
            let code = errno
            close(descriptor)
            throw fail("writing", code)
        }
        written += result
    }
    if fsync(descriptor) != 0 {
        let code = errno
        close(descriptor)
        throw fail("fsync", code)
    }
    if close(descriptor) != 0 { throw fail("closing", errno) }
    if rename(temporary, path) != 0 { throw fail("renaming the temporary file into place", errno) }
    // Make the rename itself durable; failure here leaves a complete file, so it is not an error.
    let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if directoryDescriptor >= 0 {
        _ = fsync(directoryDescriptor)
        close(directoryDescriptor)
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
