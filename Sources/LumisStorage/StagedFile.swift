import Glibc

/// A file being written next to its destination, invisible under its final name until ``commit()``.
///
/// The temporary is created exclusively (`O_EXCL`) in the destination's directory, so the rename is atomic
/// and never crosses file systems. Several staged files committed one after another make an all-or-nothing set
/// of outputs as far as the file system allows: every file is complete on disk before the first rename.
package struct StagedFile: Sendable {
    /// The destination.
    package let path: String
    /// The temporary sibling that holds the content until ``commit()``.
    package let temporaryPath: String
    private let directory: String

    /// Creates an empty temporary sibling of `path`: `temporaryPath` when given (a file format that names its
    /// temporaries, such as a dataset's), else a hidden name holding the process id.
    ///
    /// - Throws: ``StorageError`` naming `path` when the directory does not take a new file, or `temporaryPath`
    ///   exists already.
    package init(path: String, temporaryPath: String? = nil) throws(StorageError) {
        precondition(!path.isEmpty, "Empty output path")
        let slash = path.lastIndex(of: "/")
        directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !base.isEmpty else { throw StorageError(path: path, reason: "path names a directory") }
        self.path = path
        // The process id makes the name unique among concurrent writers; O_EXCL refuses to reuse a stale file.
        var temporary = ""
        var descriptor: Int32 = -1
        for attempt in 0..<100 {
            temporary = temporaryPath ?? "\(directory)/.\(base).tmp-\(getpid())-\(attempt)"
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if descriptor >= 0 || errno != EEXIST || temporaryPath != nil { break }
        }
        guard descriptor >= 0 else {
            throw StorageError(
                path: path, reason: "cannot create a temporary file in '\(directory)': \(systemMessage(errno))")
        }
        close(descriptor)
        self.temporaryPath = temporary
    }

    /// Replaces the temporary's content with `bytes` and flushes it to disk.
    ///
    /// - Throws: ``StorageError`` naming the destination and the failing step; the temporary is removed.
    package func write(_ bytes: [UInt8]) throws(StorageError) {
        let descriptor = open(temporaryPath, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard descriptor >= 0 else { throw fail("opening the temporary file", errno) }
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
    }

    /// Flushes a temporary that another writer (libnetcdf) filled to disk.
    ///
    /// - Throws: ``StorageError`` naming the destination; the temporary is removed.
    package func synchronize() throws(StorageError) {
        let descriptor = open(temporaryPath, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw fail("opening the temporary file", errno) }
        defer { close(descriptor) }
        if fsync(descriptor) != 0 { throw fail("fsync", errno) }
    }

    /// Renames the temporary over the destination and makes the rename durable.
    ///
    /// - Throws: ``StorageError`` naming the destination; the temporary is removed.
    package func commit() throws(StorageError) {
        if rename(temporaryPath, path) != 0 { throw fail("renaming the temporary file into place", errno) }
        // Failure here leaves a complete file, so it is not an error.
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Removes the temporary; the destination is untouched.
    package func discard() { unlink(temporaryPath) }

    private func fail(_ step: String, _ code: Int32) -> StorageError {
        unlink(temporaryPath)
        return StorageError(path: path, reason: "\(step) failed: \(systemMessage(code))")
    }
}

/// Writes `bytes` to `path` atomically, so readers see the old file or the complete new one.
///
/// An exclusive temporary in the same directory, `fsync` of the file, `rename`, `fsync` of the directory.
///
/// - Throws: ``StorageError`` naming `path` and the failing step; no temporary file is left behind.
package func writeAtomically(_ bytes: [UInt8], toFile path: String) throws(StorageError) {
    let file = try StagedFile(path: path)
    try file.write(bytes)
    try file.commit()
}

/// The system's message for `code`.
package func systemMessage(_ code: Int32) -> String { String(cString: strerror(code)) }
