public import LumisCore
public import LumisInference
import Synchronization

/// A thread-safe trace store for tests that drive ``TraceSampler`` directly.
public final class StoreBox: Sendable {
    private let store = Mutex(TraceStore())

    /// Creates an empty box.
    public init() {}

    /// Appends traces in order.
    public func append(_ traces: [Trace]) {
        store.withLock { store in for trace in traces { store.append(trace) } }
    }

    /// Takes the store out.
    public func take() -> TraceStore {
        store.withLock { $0 }
    }
}
