import Foundation
import LumisStorage

/// The file system calls of datasets, in one place: each maps a failing call to a ``DatasetError`` naming the
/// path, and retries on `EINTR`.
enum DatasetFiles {
    private static func message(_ code: Int32) -> String { String(cString: strerror(code)) }

    static func error(_ path: String, _ step: String, _ code: Int32 = errno) -> DatasetError {
        DatasetError(path: path, reason: "\(step) failed: \(message(code))")
    }

    /// Creates (or truncates) `path` for writing.
    ///
    /// Wraps `open`.
    static func create(_ path: String) throws(DatasetError) -> Int32 {
        while true {
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if descriptor >= 0 { return descriptor }
            if errno != EINTR { throw error(path, "creating the file") }
        }
    }

    /// Opens `path` for reading.
    ///
    /// Wraps `open`.
    static func openForReading(_ path: String) throws(DatasetError) -> Int32 {
        while true {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            if descriptor >= 0 { return descriptor }
            if errno != EINTR { throw error(path, "opening the file") }
        }
    }

    /// Writes every byte.
    ///
    /// Wraps `write`.
    static func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(DatasetError) {
        guard let base = bytes.baseAddress else { return }
        var written = 0
        while written < bytes.count {
            let result = Glibc.write(descriptor, base + written, bytes.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                throw error(path, "writing")
            }
            written += result
        }
    }

    /// Fills `buffer` from `offset`; fewer bytes than asked means the file is shorter.
    ///
    /// Wraps `pread`.
    static func read(
        _ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int, path: String
    ) throws(DatasetError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < buffer.count {
            let result = pread(descriptor, base + done, buffer.count - done, off_t(offset + done))
            if result < 0 {
                if errno == EINTR { continue }
                throw error(path, "reading")
            }
            if result == 0 { break }
            done += result
        }
        return done
    }

    /// Flushes to disk and closes.
    ///
    /// Wraps `fsync` and `close`.
    static func syncAndClose(_ descriptor: Int32, path: String) throws(DatasetError) {
        if fsync(descriptor) != 0 {
            let code = errno
            close(descriptor)
            throw error(path, "fsync", code)
        }
        if close(descriptor) != 0 { throw error(path, "closing") }
    }

    /// Stages `path` behind its dataset temporary `path.tmp` (created exclusively: a writer removes its stale
    /// temporaries first), for LumisStorage's one atomic write.
    static func stage(_ path: String) throws(DatasetError) -> StagedFile {
        do {
            return try StagedFile(path: path, temporaryPath: path + DatasetLayout.temporarySuffix)
        } catch {
            throw DatasetError(path: error.path, reason: error.reason)
        }
    }

    /// Renames a staged file's temporary over its path and makes the rename durable.
    static func commit(_ file: StagedFile) throws(DatasetError) {
        do {
            try file.commit()
        } catch {
            throw DatasetError(path: error.path, reason: error.reason)
        }
    }

    /// Writes `bytes` to `path` through LumisStorage's `StagedFile` under the name `path.tmp`, so readers see the old
    /// file or the new.
    static func writeStaged(_ bytes: [UInt8], to path: String) throws(DatasetError) {
        let file = try stage(path)
        do {
            try file.write(bytes)
        } catch {
            throw DatasetError(path: error.path, reason: error.reason)
        }
        try commit(file)
    }

    /// The whole (small) file at `path`.
    static func contents(of path: String) throws(DatasetError) -> [UInt8] {
        let descriptor = try openForReading(path)
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = try chunk.withMutableBytes { (buffer) throws(DatasetError) in
                try read(descriptor, into: buffer, at: bytes.count, path: path)
            }
            bytes.append(contentsOf: chunk[0..<count])
            if count < chunk.count { return bytes }
        }
    }

    /// The size of the file at `path`, or `nil` if there is none.
    ///
    /// Wraps `stat`.
    static func size(of path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_size)
    }

    /// The names of the entries of `directory`, or `nil` if it does not exist.
    static func names(in directory: String) throws(DatasetError) -> [String]? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else { return nil }
        guard isDirectory.boolValue else { throw DatasetError(path: directory, reason: "is not a directory") }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw DatasetError(path: directory, reason: "cannot list the directory: \(error.localizedDescription)")
        }
    }

    /// Creates `directory` (and its parents) if needed.
    ///
    /// Wraps `mkdir`, one path component at a time, so that a failure names the component and the system's reason
    /// (for example a parent that is a file: "Not a directory").
    static func makeDirectory(_ directory: String) throws(DatasetError) {
        var prefix = directory.hasPrefix("/") ? "/" : ""
        for component in directory.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o777) != 0 && errno != EEXIST { throw error(prefix, "creating the directory") }
            prefix += "/"
        }
    }

    /// Removes `path` if it exists.
    ///
    /// Wraps `unlink`.
    static func remove(_ path: String) throws(DatasetError) {
        if unlink(path) != 0 && errno != ENOENT { throw error(path, "removing") }
    }
}
