import Foundation
public import LumisCore
public import LumisTransport

/// Where an engine's simulators come from: running simulators to attach to, or a command Lumis launches.
public enum SimulatorSource: Sendable, Equatable {
    /// Running simulators, one endpoint per worker.
    case attach(endpoints: [String])
    /// A command template containing `{endpoint}`; Lumis starts one process per worker on a private endpoint,
    /// run as `settings` say.
    case launch(command: String, settings: LaunchSettings)

    /// Launches `command` with the default settings (output discarded, 30 s to bind).
    public static func launch(command: String) -> SimulatorSource {
        .launch(command: command, settings: LaunchSettings())
    }

    /// A function that opens worker (or chain) *w*'s simulator: attaches to the *w*-th endpoint, or launches the
    /// command on a private ipc endpoint (a launched process is restarted by its ``PPXSimulator`` after failures,
    /// and stopped when the simulator goes away).
    ///
    /// Launched endpoints live in a ``PrivateDirectory``, removed when the function and every simulator it made
    /// are gone. Every engine opens its simulators through this, so all open them the same way.
    /// - Parameters:
    ///   - context: the ZeroMQ context the sockets are made in; a new one when `nil`.
    ///   - timeout: the longest wait for one reply.
    /// - Throws: a ``ZMQError`` if no context can be made, a ``LaunchError`` if the private directory cannot.
    public func simulatorFactory(
        context: ZMQContext? = nil, timeout: Duration
    ) throws -> @Sendable (Int) throws -> any Simulator {
        let context = try context ?? ZMQContext()
        let source = self
        var directory: PrivateDirectory?
        if case .launch = source { directory = try PrivateDirectory() }
        return { [directory] worker in
            switch source {
            case .attach(let endpoints):
                return try PPXSimulator(endpoint: endpoints[worker], context: context, timeout: timeout)
            case .launch(let command, let settings):
                // Set above for every launch source.
                let directory = directory!
                let process = try SimulatorProcess(
                    command: command, endpoint: directory.endpoint(worker: worker), output: settings.output,
                    logName: "simulator-\(worker).log", directory: directory)
                return try PPXSimulator(
                    endpoint: process.endpoint, context: context, timeout: timeout, process: process,
                    startup: settings)
            }
        }
    }
}
