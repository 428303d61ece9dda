import Synchronization

/// A process-wide request to stop, set from a signal handler and polled by blocking receive loops.
///
/// Receive loops wake up at least every ``ZMQSocket/pollInterval`` to look at the flag, so Ctrl-C ends a
/// run promptly even while a simulator is silent.
public enum Interrupt {
    private static let flag = Atomic<Bool>(false)

    /// Whether a stop was requested.
    public static var isRequested: Bool { flag.load(ordering: .relaxed) }

    /// Requests a stop.
    ///
    /// Async-signal-safe: a single atomic store.
    public static func request() { flag.store(true, ordering: .relaxed) }

    /// Clears a stop request (tests run several interruptible operations in one process).
    public static func reset() { flag.store(false, ordering: .relaxed) }
}
