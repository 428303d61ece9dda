import ArgumentParser

/// Where `lumis train` gets its traces: simulators, attached or launched (as for `lumis infer`), or a dataset
/// written by `lumis dataset`.
@dynamicMemberLookup
struct TrainingSourceOptions: ParsableArguments {
    @OptionGroup var simulators: SimulatorOptions

    @Option(
        help: ArgumentHelp(
            "Train on the traces of this dataset (lumis dataset) instead of simulators: validation on its last "
                + "--validation-traces traces, training cycling over the others in order (default: none).",
            valueName: "dir"))
    var dataset: String?

    func validate() throws {
        guard dataset == nil else {
            guard simulators.isEmpty else {
                throw ValidationError("Give either --dataset or simulators (--simulator, --launch), not both.")
            }
            return
        }
        try simulators.check()
    }

    subscript<Value>(dynamicMember keyPath: KeyPath<SimulatorOptions, Value>) -> Value { simulators[keyPath: keyPath] }
}
