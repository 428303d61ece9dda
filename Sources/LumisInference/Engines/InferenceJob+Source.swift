import Foundation
public import LumisCore
public import LumisTransport

extension InferenceJob.Source {
    /// A function that opens worker (or chain) *w*'s simulator: attaches to the *w*-th endpoint, or launches the
    /// command on a private ipc endpoint (a launched process is restarted by its ``PPXSimulator`` after failures,
    /// and stopped when the simulator goes away).
    ///
    /// Shared by ``InferenceJob`` and ``MCMCJob`` so both open simulators the same way.
    /// - Parameters:
    ///   - context: the ZeroMQ context the sockets are made in.
    ///   - timeout: the longest wait for one reply.
    public func simulatorFactory(
        context: ZMQContext, timeout: Duration
    ) -> @Sendable (Int) throws -> any Simulator {
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
