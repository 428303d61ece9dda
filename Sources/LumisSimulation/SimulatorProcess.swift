import Glibc

/// A simulator process that Lumis starts, watches, restarts and stops.
///
/// The command is run by `/bin/sh -c` with `{endpoint}` replaced by the endpoint; the simulator's standard output
/// goes to our standard error so that it never mixes with results. The process is stopped (SIGTERM, then
/// SIGKILL after a grace period) when this object goes away, also on errors and interrupts.
public final class SimulatorProcess {
    /// The command template, containing `{endpoint}`.
    public let command: String
    /// The endpoint the simulator is told to bind.
    public let endpoint: String
    /// How many times the process was started, counting the first.
    public private(set) var launchCount = 0
    private var pid: pid_t = 0
    private var exitStatus: Int32? = nil

    /// The placeholder replaced by the endpoint in a command template.
    public static let endpointPlaceholder = "{endpoint}"

    /// Starts `command` with `{endpoint}` replaced by `endpoint`.
    ///
    /// - Throws: ``LaunchError`` if the process cannot be spawned.
    public init(command: String, endpoint: String) throws(LaunchError) {
        self.command = command
        self.endpoint = endpoint
        try start()
    }

    deinit { terminate() }

    /// The command line actually run.
    public var resolvedCommand: String {
        command.replacing(Self.endpointPlaceholder, with: endpoint)
    }

    private func start() throws(LaunchError) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO)
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A process group of its own: stopping it reaches anything the shell started.
        // Default dispositions and an empty mask: our threads may block or handle signals, and a child that
        // inherited that could not be stopped with SIGTERM.
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        let arguments = ["/bin/sh", "-c", "exec " + resolvedCommand]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, "/bin/sh", &actions, &attributes, &argv, environ)
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

    /// How the process ended, for example "exited with status 3", or `nil` while it runs.
    public var exitDescription: String? {
        guard !isRunning, let status = exitStatus else { return nil }
        if status == -1 { return "exited" }
        let signal = status & 0x7f
        if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
        return "was killed by signal \(signal)"
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
