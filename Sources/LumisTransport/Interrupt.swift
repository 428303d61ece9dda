import Synchronization

/// A process-wide request to stop, set from a signal handler and polled by blocking receive loops.
///
/// Receive loops wake up at least every ``ZMQSocket/pollInterval`` to look at the flag, so Ctrl-C ends a
/// run promptly even while a simulator is silent. The signal that asked is kept for the exit status
/// (128 + its number: 130 for SIGINT, 143 for SIGTERM).
public enum Interrupt {
    private static let flag = Atomic<Int32>(0)

    /// Whether a stop was requested.
    public static var isRequested: Bool { flag.load(ordering: .relaxed) != 0 }

    /// The number of the signal that requested the stop, `nil` when none did.
    public static var signal: Int32? {
        let value = flag.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// Requests a stop on behalf of `signal` (SIGINT, 2, by default).
    ///
    /// Async-signal-safe: a single atomic store.
    /// - Precondition: `signal` is positive.
    public static func request(signal: Int32 = 2) { flag.store(signal, ordering: .relaxed) }

    /// Clears a stop request (tests run several interruptible operations in one process).
    public static func reset() { flag.store(0, ordering: .relaxed) }
}
