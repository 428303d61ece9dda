import Foundation
import LumisCore

/// Hands the simulator rank 0 opened for the handshake's model name to worker 0, so no extra process starts.
///
/// A ZeroMQ socket may move to another thread across a full memory barrier, which the lock provides.
final class SimulatorHandoff: @unchecked Sendable {
    // Invariant: `simulator` is only touched while holding `lock`, and handed out at most once.
    private let lock = NSLock()
    private var simulator: (any Simulator)?

    func put(_ simulator: any Simulator) { lock.withLock { self.simulator = simulator } }

    /// The parked simulator, for worker 0 only, once.
    func take(worker: Int) -> (any Simulator)? {
        guard worker == 0 else { return nil }
        return lock.withLock {
            defer { simulator = nil }
            return simulator
        }
    }
}
