import Foundation
public import LumisCore
import LumisDistributed
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

    /// Rank `rank`'s simulators in a launch of `rankCount` ranks, and how many workers drive them: the one rule
    /// every command (infer, train, dataset) follows.
    ///
    /// - `launch`: every rank starts `workers` processes (1 when `nil`) on endpoints private to its process.
    /// - `attach`: the endpoints are dealt out to the ranks in order, in contiguous shares as even as possible
    ///   (`Communicator.share(of:rank:size:)`), and a rank runs one worker per endpoint of its share. `workers`,
    ///   when given, counts per rank and needs exactly `workers × rankCount` endpoints.
    /// - Throws: ``AssignmentError`` when the endpoints do not fit.
    /// - Precondition: `0 <= rank < rankCount`; `workers`, if given, is positive.
    public func share(rank: Int, of rankCount: Int, workers: Int?) throws(AssignmentError) -> (
        source: SimulatorSource, workers: Int
    ) {
        precondition((0..<rankCount).contains(rank), "rank out of range")
        precondition(workers.map { $0 > 0 } ?? true, "workers must be positive")
        switch self {
        case .launch: return (self, workers ?? 1)
        case .attach(let endpoints):
            if let workers, workers * rankCount != endpoints.count {
                throw AssignmentError(endpoints: endpoints.count, ranks: rankCount, workers: workers)
            }
            guard endpoints.count >= rankCount else {
                throw AssignmentError(endpoints: endpoints.count, ranks: rankCount, workers: workers)
            }
            let mine = Array(endpoints[Communicator.share(of: endpoints.count, rank: rank, size: rankCount)])
            return (.attach(endpoints: mine), mine.count)
        }
    }

    /// Endpoints that cannot be dealt out as asked: fewer than the ranks, or not `workers` per rank.
    public struct AssignmentError: Error, Equatable, CustomStringConvertible {
        /// How many endpoints were given.
        public var endpoints: Int
        /// How many ranks share them.
        public var ranks: Int
        /// The workers per rank asked for, if any.
        public var workers: Int?

        /// How many endpoints would fit.
        public var needed: Int { (workers ?? 1) * ranks }

        /// A one-line message.
        public var description: String {
            let who = ranks > 1 ? "\(ranks) ranks" : "one process"
            let perRank = workers.map { "\($0) per rank" } ?? "at least one per rank"
            return "\(who) need\(ranks > 1 ? "" : "s") \(workers == nil ? "at least " : "")\(needed) endpoints "
                + "(\(perRank)), got \(endpoints)"
        }
    }
}
