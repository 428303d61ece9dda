import LumisCore
import LumisDistributions
import LumisTensor
import LumisTestSupport
import Testing

@Suite("TraceExecution")
struct TraceExecutionTests {
    static func execution(_ mode: TraceExecution.Mode, _ observations: [String: Double] = [:]) -> TraceExecution {
        TraceExecution(
            observations: ObservationSet(observations.mapValues { Tensor($0) }), mode: mode,
            generator: Xoshiro256StarStar(seed: 7, stream: 0))
    }

    @Test("Repeated addresses get instance numbers 1, 2, ... and names are kept")
    func instances() throws {
        var execution = Self.execution(.prior)
        let unit = Distribution.uniform(low: Tensor(0), high: Tensor(1))
        for _ in 0..<3 { _ = try execution.sample(unit, address: "loop", name: "u") }
        _ = try execution.sample(unit, address: "other")
        let trace = execution.finish(result: nil)
        #expect(trace.entries.map(\.instance) == [1, 2, 3, 1])
        #expect(trace.entries.map(\.address) == ["loop", "loop", "loop", "other"])
        #expect(trace.entries.map(\.name) == ["u", "u", "u", ""])
        #expect(trace[name: "u"] == trace.entries[2].value)
    }

    @Test("The observation set wins over the simulator's value; the simulator's value is used otherwise")
    func observationPrecedence() throws {
        var execution = Self.execution(.posterior, ["y": 2])
        let likelihood = Distribution.normal(mean: Tensor(0), stddev: Tensor(1))
        let fromSet = try execution.observe(likelihood, address: "a", name: "y", value: Tensor(5))
        let fromSimulator = try execution.observe(likelihood, address: "b", name: "z", value: Tensor(1))
        #expect(fromSet == Tensor(2))
        #expect(fromSimulator == Tensor(1))
        let trace = execution.finish(result: nil)
        let expected = likelihood.logProb(of: Tensor(2)) + likelihood.logProb(of: Tensor(1))
        #expect(trace.logWeight == expected)
        #expect(trace.logLikelihood == expected)
    }

    @Test("An observe with no value is an error in posterior mode and unobserved in prior mode")
    func missingObservation() throws {
        let likelihood = Distribution.normal(mean: Tensor(0), stddev: Tensor(1))
        var posterior = Self.execution(.posterior)
        #expect(throws: ModelError.missingObservation(address: "site", instance: 1, name: "obs0")) {
            try posterior.observe(likelihood, address: "site", name: "obs0", value: nil)
        }
        var prior = Self.execution(.prior)
        #expect(try prior.observe(likelihood, address: "site", name: "obs0", value: nil) == nil)
        #expect(prior.finish(result: nil).logWeight == 0)
    }

    @Test("Invalid parameters are an error naming the address and instance")
    func invalidParameters() throws {
        var execution = Self.execution(.prior)
        _ = try execution.sample(.normal(mean: Tensor(0), stddev: Tensor(1)), address: "[sim.cpp:12]")
        do {
            _ = try execution.sample(.normal(mean: Tensor(0), stddev: Tensor(-1)), address: "[sim.cpp:12]")
            Issue.record("a negative stddev must be rejected")
        } catch let error as ModelError {
            guard case .invalidDistribution(_, let address, let instance, _) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(address == "[sim.cpp:12]" && instance == 2)
            #expect(error.description.contains("[sim.cpp:12]") && error.description.contains("stddev"))
        }
        #expect(throws: ModelError.self) {
            try execution.observe(nil, address: "x", name: "y", value: Tensor(1))
        }
    }

    @Test("An observed NaN is rejected, not scored")
    func observedNaN() throws {
        var execution = Self.execution(.posterior)
        #expect(throws: ModelError.self) {
            try execution.observe(
                .normal(mean: Tensor(0), stddev: Tensor(1)), address: "a", name: "", value: Tensor(.nan))
        }
    }

    @Test("Uncontrolled samples bypass the policy and do not enter the log prior")
    func uncontrolled() throws {
        struct Fixed: ProposalPolicy {
            mutating func choose(
                at site: SampleSite, prior: Distribution, using generator: inout Xoshiro256StarStar
            ) throws -> (value: Tensor, logWeight: Double) { (Tensor(0.25), -1.5) }
        }
        var execution = TraceExecution(
            observations: ObservationSet(), mode: .posterior, policy: Fixed(),
            generator: Xoshiro256StarStar(seed: 1, stream: 0))
        let unit = Distribution.uniform(low: Tensor(0), high: Tensor(1))
        #expect(try execution.sample(unit, address: "c") == Tensor(0.25))
        let free = try execution.sample(unit, address: "u", isControlled: false)
        #expect(free != Tensor(0.25))
        let trace = execution.finish(result: nil)
        #expect(trace.logWeight == -1.5)
        #expect(trace.logPrior == 0)  // log U(0,1) density is 0 for the controlled sample only
        #expect(trace.entries.map(\.isControlled) == [true, false])
    }

    @Test("The same stream gives the same trace")
    func reproducible() throws {
        var first = Self.execution(.posterior, ["obs0": 8, "obs1": 9])
        var second = Self.execution(.posterior, ["obs0": 8, "obs1": 9])
        var model = GaussianUnknownMean()
        let a = try model.run(&first)
        let b = try model.run(&second)
        #expect(a == b)
        #expect(first.finish(result: a).logWeight == second.finish(result: b).logWeight)
    }
}
