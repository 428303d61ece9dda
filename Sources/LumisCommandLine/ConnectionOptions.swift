import ArgumentParser

/// How to reach the simulators, required: attach to running ones or launch them.
@dynamicMemberLookup
struct ConnectionOptions: ParsableArguments {
    @OptionGroup var simulators: SimulatorOptions

    func validate() throws { try simulators.check() }

    subscript<Value>(dynamicMember keyPath: KeyPath<SimulatorOptions, Value>) -> Value { simulators[keyPath: keyPath] }
}
