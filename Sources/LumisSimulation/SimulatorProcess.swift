import CProcessSpawn
import Glibc

/// A simulator process that Lumis starts, watches, restarts and stops.
///
/// The command is run by `/bin/sh -c` with `{endpoint}` replaced by the endpoint. Its output goes where
/// ``LaunchSettings/Output`` says (by default nowhere, so it never floods the terminal or mixes with results).
/// The process is stopped (SIGTERM to its process group, then SIGKILL after a grace period) when this object
/// goes away, also on errors and interrupts; and the kernel kills it if Lumis itself dies, even by SIGKILL
/// (`PR_SET_PDEATHSIG`, set in the child before exec).
///
/// The death signal is tied to the thread that started the process: start and use a process on one thread (as
/// every engine's worker does), or a thread that ends would take its simulator with it.
public final class SimulatorProcess {
    /// The command template, containing `{endpoint}`.
    public let command: String
    /// The endpoint the simulator is told to bind.
    public let endpoint: String
    /// Where the process's standard output and error go.
    public let output: LaunchSettings.Output
    /// The log file's name within an output directory, such as `simulator-3.log`.
    public let logName: String
    /// How many times the process was started, counting the first.
    public private(set) var launchCount = 0
    private var pid: pid_t = 0
    private var exitStatus: Int32? = nil
    // Kept alive while the process may use it: the private directory holding the endpoint.
    private let directory: PrivateDirectory?

    /// The placeholder replaced by the endpoint in a command template.
    public static let endpointPlaceholder = "{endpoint}"

    /// Starts `command` with `{endpoint}` replaced by `endpoint`.
    ///
    /// - Parameters:
    ///   - command: the command template.
    ///   - endpoint: the endpoint to bind.
    ///   - output: where its output goes: our standard error, nowhere, or `logName` in a directory.
    ///   - logName: the log file's name under `.directory`.
    ///   - directory: a private directory this process's endpoint lives in, kept until the process is gone.
    /// - Throws: ``LaunchError`` if the process cannot be spawned or its log file opened.
    public init(
        command: String, endpoint: String, output: LaunchSettings.Output = .inherit,
        logName: String = "simulator.log", directory: PrivateDirectory? = nil
    ) throws(LaunchError) {
        self.command = command
        self.endpoint = endpoint
        self.output = output
        self.logName = logName
        self.directory = directory
        try start()
    }

    deinit { terminate() }

    /// The command line actually run.
    public var resolvedCommand: String {
        command.replacing(Self.endpointPlaceholder, with: endpoint)
    }

    private func start() throws(LaunchError) {
        // Descriptors for the child's stdout and stderr, closed here after the spawn (-1: keep ours).
        var descriptors: (out: Int32, error: Int32) = (-1, -1)
        switch output {
        case .inherit:
            descriptors = (STDERR_FILENO, -1)
        case .discard:
            let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
            descriptors = (null, null)
        case .directory(let path):
            let file = path + "/" + logName
            let log = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard log >= 0 else {
                throw LaunchError(
                    description: "cannot open simulator log \(file): \(String(cString: strerror(errno)))")
            }
            descriptors = (log, log)
        }
        defer { if descriptors.out > STDERR_FILENO { close(descriptors.out) } }
        let arguments = ["/bin/sh", "-c", "exec " + resolvedCommand]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let status = lumis_spawn_tied("/bin/sh", argv, environ, descriptors.out, descriptors.error, &child)
        guard status == 0 else {
            throw LaunchError(
                description: "cannot start simulator '\(resolvedCommand)': \(String(cString: strerror(status)))")
        }
        pid = child
        exitStatus = nil
        launchCount += 1
    }

    /// Whether the process is still running.
    ///
    /// Reaps it if it has exited.
    public var isRunning: Bool {
        guard pid != 0, exitStatus == nil else { return false }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid || (result == -1 && errno == ECHILD) {
            exitStatus = result == pid ? status : -1
            return false
        }
        return true
    }

    /// Whether the process ended by exiting with a status, rather than by a signal (a crash, or kill -9 from
    /// outside); `false` while it runs.
    public var hasExitedWithStatus: Bool {
        guard !isRunning, let status = exitStatus, status != -1 else { return false }
        return status & 0x7f == 0
    }

    /// How the process ended, for example "exited with status 3", or `nil` while it runs.
    ///
    /// The shell's own statuses are spelled out: 127 is "command not found", 126 "not executable".
    public var exitDescription: String? {
        guard !isRunning, let status = exitStatus else { return nil }
        if status == -1 { return "exited" }
        let signal = status & 0x7f
        guard signal == 0 else { return "was killed by signal \(signal)" }
        let code = (status >> 8) & 0xff
        switch code {
        case 127: return "exited with status 127 (command not found)"
        case 126: return "exited with status 126 (command not executable)"
        default: return "exited with status \(code)"
        }
    }

    /// Stops the process (if running) and starts it again.
    public func restart() throws(LaunchError) {
        terminate()
        try start()
    }

    /// Stops the process: SIGTERM to its group, then SIGKILL if it has not exited within `grace`.
    public func terminate(grace: Duration = .seconds(2)) {
        guard pid != 0, isRunning else { return }
        kill(-pid, SIGTERM)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: grace)
        while isRunning && clock.now < deadline { usleep(5_000) }
        if isRunning {
            kill(-pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            exitStatus = status
        }
    }
}

/// A simulator command that could not be started.
public struct LaunchError: Error, Equatable, CustomStringConvertible {
    /// A one-line message naming the command.
    public var description: String
}
