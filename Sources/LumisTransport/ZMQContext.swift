/// A libzmq context: the I/O threads behind every socket made from it.
///
/// A context is thread-safe (libzmq guarantees it), so one context serves every worker thread; sockets are not,
/// and each is owned by one thread.
public final class ZMQContext: @unchecked Sendable {
    // Invariant: `handle` is only passed to libzmq functions documented as thread-safe on a context.
    let handle: UnsafeMutableRawPointer

    /// Creates a context.
    ///
    /// Wraps `zmq_ctx_new`.
    public init() throws(ZMQError) {
        handle = try zmqContextNew()
    }

    deinit { zmqContextTerminate(handle) }
}
