import LumisCore
import LumisTensor

/// A simulator that refuses to add traces of another model to a dataset: after every run it compares the
/// handshake's model name (known only once connected) with the manifest's.
struct ModelCheckingSimulator: Simulator {
    var base: any Simulator
    let expected: String
    let manifestPath: String

    var modelName: String { base.modelName }
    var restartCount: Int { base.restartCount }

    mutating func run(_ execution: inout TraceExecution) throws -> Tensor? {
        let result = try base.run(&execution)
        guard base.modelName == expected else {
            throw DatasetError(
                path: manifestPath, reason: "the simulator's model is '\(base.modelName)', the dataset's '\(expected)'")
        }
        return result
    }
}
