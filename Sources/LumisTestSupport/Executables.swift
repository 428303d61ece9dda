public import Foundation

/// Paths to the built `lumis` executable and the bundled C++ simulators, and a way to run them, for tests.
public enum Executables {
    /// The repository root, found from this file's location.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The directory holding the CMake-built simulators and tools.
    public static var simulatorDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["LUMIS_SIMULATORS_DIR"] {
            return URL(fileURLWithPath: override)
        }
        return repositoryRoot.appendingPathComponent("simulators/build/bin")
    }

    /// Why an executable a test needs is not there.
    public struct Missing: Error, CustomStringConvertible {
        /// A one-line message saying what to build.
        public var description: String

        /// Creates the error.
        public init(description: String) { self.description = description }
    }

    /// The path of a bundled simulator or tool, for example `gum`.
    ///
    /// - Throws: ``Missing`` (telling to run `simulators/build.sh`) if it has not been built.
    public static func simulator(_ name: String) throws -> String {
        let path = simulatorDirectory.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw Missing(description: "\(path) is missing: run simulators/build.sh first")
        }
        return path
    }

    /// The `lumis` executable built beside the test bundle.
    public static func lumis() throws -> String {
        let bundle = Bundle.main.bundleURL
        for candidate in [bundle, bundle.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("lumis").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw Missing(description: "lumis executable not found next to \(Bundle.main.bundlePath): swift build first")
    }

    /// What a finished process printed and how it ended.
    public struct Outcome: Sendable {
        /// The exit status (or 128 + signal).
        public var status: Int32
        /// Standard output.
        public var standardOutput: String
        /// Standard error.
        public var standardError: String
    }

    /// Runs an executable to completion and captures its output.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws
        -> Outcome
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read both pipes while the process runs so that neither can fill up and block it.
        let errorData = ErrorBuffer()
        let reader = Thread { errorData.set(error.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorData.isSet { usleep(1_000) }
        let status =
            process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus
            : process.terminationStatus
        return Outcome(
            status: status, standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData.get(), as: UTF8.self))
    }

    /// A bundled simulator serving at a private abstract ipc endpoint, for `--simulator`; stop it with
    /// ``stop()``.
    public final class AttachedSimulator {
        /// The simulator's process.
        public let process: Process
        /// Where it serves.
        public let endpoint: String

        /// Starts simulator `name` (``simulator(_:)``) at a fresh endpoint, with `options` after it; its stderr is
        /// discarded.
        public init(_ name: String, options: [String] = []) throws {
            endpoint = "ipc://@lumis-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            process = Process()
            process.executableURL = URL(fileURLWithPath: try simulator(name))
            process.arguments = [endpoint] + options
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        /// Kills the simulator and waits for it.
        public func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    /// A scratch directory for one test, removed by the caller.
    public static func temporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("lumis-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A one-shot cell for data read on another thread.
private final class ErrorBuffer: @unchecked Sendable {
    // Invariant: every access holds `lock`.
    private let lock = NSLock()
    private var data: Data?

    func set(_ value: Data) { lock.withLock { data = value } }
    var isSet: Bool { lock.withLock { data != nil } }
    func get() -> Data { lock.withLock { data ?? Data() } }
}
