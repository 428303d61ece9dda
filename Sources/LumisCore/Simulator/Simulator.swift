public import LumisTensor

/// A simulator that runs one trace at a time: the seam between engines and what executes the model.
///
/// `PPXSimulator` (LumisSimulation) drives an external process over PPX; an in-process Swift model conforms directly, which
/// lets engines be tested quickly and exactly without sockets.
public protocol Simulator {
    /// The model's name (PPX `HandshakeResult.model_name` for remote simulators).
    var modelName: String { get }

    /// Runs one execution, routing every sample, observe and tag through `execution`.
    ///
    /// - Returns: the simulator's result value, or `nil` if it returned none.
    /// - Throws: ``ModelError`` for a fault in the model itself, `SimulatorFailure` (LumisSimulation) for a transport or process
    ///   fault (which an engine may retry), or any other error from the execution.
    mutating func run(_ execution: inout TraceExecution) throws -> Tensor?

    /// How many times the simulator process was restarted after failures.
    var restartCount: Int { get }
}

extension Simulator {
    /// How many times the simulator process was restarted after failures; 0 for in-process models.
    public var restartCount: Int { 0 }
}
