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

    @Test("An unnormalised Categorical is recorded normalised, as pyprob reads it; a zero row names the address")
    func categoricalNormalisation() throws {
        var execution = Self.execution(.prior)
        let value = try execution.sample(.categorical(probs: Tensor([1, 1, 1])), address: "hmm.cpp:19", name: "x0")
        let trace = execution.finish(result: nil)
        #expect(trace.entries[0].distribution == .categorical(probs: Tensor([1.0 / 3, 1.0 / 3, 1.0 / 3])))
        let logThird = -1.0986122886681098  // −ln 3
        #expect(abs(trace.entries[0].logProb - logThird) < 1e-12)
        #expect(abs(trace.logPrior - trace.entries[0].logProb) < 1e-15)
        #expect((0...2).contains(value.scalars[0]))
        var zero = Self.execution(.prior)
        do {
            _ = try zero.sample(.categorical(probs: Tensor([0, 0])), address: "gen.cpp:7")
            Issue.record("an all-zero row must be rejected")
        } catch let error as ModelError {
            #expect(
                "\(error)"
                    == "sample at address gen.cpp:7 (instance 1): Categorical probs row 0 sums to 0.0; a row needs a "
                    + "positive, finite sum to be normalised")
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
                at site: Site, prior: Distribution, using generator: inout Xoshiro256StarStar
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

    @Test("Simulate-observations mode draws a missing observation from its likelihood and records it as observed")
    func simulatedObservations() throws {
        // GUM: given mu, obs0 ~ Normal(mu, √2). Over N traces, obs0 − mu has mean 0 and stddev √2.
        let count = 4_000
        var differences: [Double] = []
        var execution = Self.execution(.simulateObservations)
        var model = GaussianUnknownMean()
        for index in 0..<count {
            execution.restart(generator: Xoshiro256StarStar(seed: 3, stream: UInt64(index)))
            let mu = try #require(try model.run(&execution)?.scalar)
            let trace = execution.finish(result: nil)
            #expect(trace.entries.map(\.kind) == [.sample, .observe, .observe])
            let observed = try #require(trace[name: "obs0"]?.scalar)
            let likelihood = Distribution.normal(mean: Tensor(mu), stddev: Tensor(2.0.squareRoot()))
            #expect(trace.entries[1].logProb == likelihood.logProb(of: Tensor(observed)))
            differences.append(observed - mu)
        }
        let mean = differences.reduce(0, +) / Double(count)
        let variance = differences.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(count - 1)
        let sigma = 2.0.squareRoot()
        #expect(abs(mean) <= 5 * sigma / Double(count).squareRoot())
        // Var of the sample variance of a Normal is 2σ⁴/(N−1).
        #expect(abs(variance - 2) <= 5 * (2 * 4.0 / Double(count - 1)).squareRoot())
    }

    @Test("Simulate-observations mode keeps observation-set and simulator values")
    func simulatedObservationsKeepGivenValues() throws {
        var execution = Self.execution(.simulateObservations, ["y": 2])
        let likelihood = Distribution.normal(mean: Tensor(0), stddev: Tensor(1))
        #expect(try execution.observe(likelihood, address: "a", name: "y", value: nil) == Tensor(2))
        #expect(try execution.observe(likelihood, address: "b", name: "z", value: Tensor(-1)) == Tensor(-1))
        #expect(execution.finish(result: nil).entries.map(\.value) == [Tensor(2), Tensor(-1)])
    }

    @Test("restart tells the policy a new trace starts")
    func policyStartsTrace() throws {
        final class Counting: ProposalPolicy {
            var starts = 0
            func choose(
                at site: Site, prior: Distribution, using generator: inout Xoshiro256StarStar
            ) throws -> (value: Tensor, logWeight: Double) { (Tensor(Double(starts)), 0) }
            func startTrace() { starts += 1 }
        }
        let policy = Counting()
        var execution = TraceExecution(
            observations: ObservationSet(), mode: .posterior, policy: policy,
            generator: Xoshiro256StarStar(seed: 1, stream: 0))
        execution.restart(generator: Xoshiro256StarStar(seed: 1, stream: 1))
        execution.restart(generator: Xoshiro256StarStar(seed: 1, stream: 2))
        #expect(policy.starts == 2)
        #expect(try execution.sample(.normal(mean: Tensor(0), stddev: Tensor(1)), address: "a") == Tensor(2))
    }
}
