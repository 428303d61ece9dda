import Foundation
public import LumisCore
public import LumisTransport

/// Where an engine's simulators come from: running simulators to attach to, or a command Lumis launches.
public enum SimulatorSource: Sendable, Equatable {
    /// Running simulators, one endpoint per worker.
    case attach(endpoints: [String])
    /// A command template containing `{endpoint}`; Lumis starts one process per worker on a private endpoint.
    case launch(command: String)

    /// A function that opens worker (or chain) *w*'s simulator: attaches to the *w*-th endpoint, or launches the
    /// command on a private ipc endpoint (a launched process is restarted by its ``PPXSimulator`` after failures,
    /// and stopped when the simulator goes away).
    ///
    /// Every engine opens its simulators through this, so all open them the same way.
    /// - Parameters:
    ///   - context: the ZeroMQ context the sockets are made in; a new one when `nil`.
    ///   - timeout: the longest wait for one reply.
    /// - Throws: a ``ZMQError`` if no context can be made.
    public func simulatorFactory(
        context: ZMQContext? = nil, timeout: Duration
    ) throws -> @Sendable (Int) throws -> any Simulator {
        let context = try context ?? ZMQContext()
        let source = self
        let nonce = UInt64.random(in: 0..<UInt64.max)
        return { worker in
            switch source {
            case .attach(let endpoints):
                return try PPXSimulator(endpoint: endpoints[worker], context: context, timeout: timeout)
            case .launch(let command):
                let endpoint = "ipc://@lumis-\(getpid())-\(String(nonce, radix: 36))-\(worker)"
                let process = try SimulatorProcess(command: command, endpoint: endpoint)
                return try PPXSimulator(endpoint: endpoint, context: context, timeout: timeout, process: process)
            }
        }
    }
}
