import Foundation
import Synchronization

/// A directory only this user can enter (mode 0700), for launched simulators' ipc endpoints, removed with
/// everything in it when the last owner lets go.
///
/// An abstract-namespace or world-readable socket would let another user on a shared login node connect to a
/// simulator and take part in (or disturb) a run; a socket inside a 0700 directory cannot be reached by them.
public final class PrivateDirectory: Sendable {
    /// The directory's absolute path.
    public let path: String

    /// Creates `lumis-<pid>-XXXXXX` under `$TMPDIR` (or `/tmp` if that path would be too long for a socket).
    ///
    /// - Throws: ``LaunchError`` if the directory cannot be made.
    public init() throws(LaunchError) {
        let environment = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 }
        // A socket path holds at most 107 bytes; leave room for "/<worker>.sock".
        let base =
            environment.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }.flatMap {
                $0.utf8.count <= 60 ? $0 : nil
            } ?? "/tmp"
        Self.removeStale(in: base)
        var template = Array("\(base)/lumis-\(getpid())-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }  // non-empty array
        guard made != nil else {
            throw LaunchError(
                description: "cannot create a private directory under \(base): \(String(cString: strerror(errno)))")
        }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        Self.registerForExit
        Self.live.withLock { _ = $0.insert(path) }
    }

    /// The ipc endpoint of worker `worker`'s simulator.
    public func endpoint(worker: Int) -> String { "ipc://\(path)/\(worker).sock" }

    deinit {
        Self.live.withLock { _ = $0.remove(path) }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Removes the private directories that `kill -9`ed runs of this user left in `base`.
    ///
    /// A directory is stale when its name is `lumis-<pid>-XXXXXX`, it is a real directory owned by this user,
    /// and no process `pid` exists (`kill(pid, 0)` fails with `ESRCH`); a live run's directory is never touched.
    /// A run in another pid namespace sharing this `/tmp` would look dead: such a run loses only its sockets'
    /// directory, which its simulators have already bound.
    public static func removeStale(in base: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: base) else { return }
        for name in names {
            let parts = name.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == "lumis", parts[2].count == 6, let pid = pid_t(parts[1]), pid > 0,
                pid != getpid()
            else { continue }
            let path = base + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == getuid() else { continue }
            guard kill(pid, 0) == -1, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// Directories not yet removed.
    ///
    /// A process that exits while worker threads still hold a directory (an interrupt, an error on another
    /// thread) removes them at exit.
    private static let live = Mutex<Set<String>>([])

    private static let registerForExit: Void = {
        atexit {
            for path in PrivateDirectory.live.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
        }
    }()
}
