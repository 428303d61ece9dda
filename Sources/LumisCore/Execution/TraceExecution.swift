public import LumisDistributions
public import LumisTensor

/// The engine's side of one simulator execution: it answers every sample, scores every observe and records
/// the trace.
///
/// A simulator (remote or in-process) calls ``sample(_:address:name:isControlled:)``,
/// ``observe(_:address:name:value:)`` and ``tag(_:address:name:)`` in execution order. Each statement gets an
/// instance number: the count of its address so far in this trace.
public struct TraceExecution {
    /// How statements without values are treated.
    public enum Mode: Sendable {
        /// Prior sampling: an observe without a value is recorded unobserved and does not weigh the trace.
        case prior
        /// Posterior inference: every observe must have a value (from the observation set or the simulator).
        case posterior
        /// Training data for an inference network (pyprob's `PRIOR_FOR_INFERENCE_NETWORK`,
        /// docs/reference/pyprob-engine.md §1.8): samples come from the prior and an observe without a value draws one
        /// from its likelihood and records it as observed. A value from the observation set or the simulator is kept,
        /// as in pyprob.
        case simulateObservations
    }

    /// The trace recorded so far.
    public private(set) var trace = Trace()
    /// The random stream of this trace.
    public var generator: Xoshiro256StarStar
    /// Observed values by name; they take precedence over values the simulator sends.
    public let observations: ObservationSet
    /// How observes without values are treated.
    public let mode: Mode
    private var policy: any ProposalPolicy
    private var instanceCounts: [String: Int] = [:]

    /// Creates an execution.
    ///
    /// - Parameters:
    ///   - observations: observed values by name.
    ///   - mode: prior sampling or posterior inference.
    ///   - policy: chooses controlled samples' values.
    ///   - generator: the random stream for this trace.
    public init(
        observations: ObservationSet, mode: Mode, policy: any ProposalPolicy = PriorProposal(),
        generator: Xoshiro256StarStar
    ) {
        self.observations = observations
        self.mode = mode
        self.policy = policy
        self.generator = generator
    }

    /// Starts a new trace with a new random stream, keeping storage for reuse.
    public mutating func restart(generator: Xoshiro256StarStar) {
        trace.removeAll()
        instanceCounts.removeAll(keepingCapacity: true)
        self.generator = generator
        policy.startTrace()
    }

    /// Hands over the finished trace with its result; the execution keeps an empty one.
    public mutating func finish(result: Tensor?) -> Trace {
        trace.result = result
        defer { trace = Trace() }
        return trace
    }

    private mutating func nextInstance(of address: String) -> Int {
        var next = 1
        if let count = instanceCounts[address] { next = count + 1 }
        instanceCounts[address] = next
        return next
    }

    /// Answers a sample statement: the value to use at this call site.
    ///
    /// Controlled samples go through the engine's policy; uncontrolled ones are drawn from the prior.
    /// - Throws: ``ModelError`` if the distribution is missing or invalid.
    public mutating func sample(
        _ distribution: Distribution?, address: String, name: String = "", isControlled: Bool = true
    ) throws -> Tensor {
        let instance = nextInstance(of: address)
        guard let stated = distribution else {
            throw ModelError.missingDistribution(statement: "sample", address: address, instance: instance)
        }
        do throws(DistributionError) {
            try stated.validate()
        } catch {
            throw ModelError.invalidDistribution(statement: "sample", address: address, instance: instance, error)
        }
        // pyprob's meaning: unnormalised Categorical rows are divided by their sums before anything uses them.
        let distribution = stated.normalized()
        let value: Tensor
        var logWeight = 0.0
        if isControlled {
            let site = Site(kind: .sample, address: address, instance: instance, name: name, isControlled: true)
            (value, logWeight) = try policy.choose(at: site, prior: distribution, using: &generator)
        } else {
            value = distribution.sample(using: &generator)
        }
        do throws(DistributionError) {
            try distribution.validateValue(value)
        } catch {
            throw ModelError.invalidSampleValue(address: address, instance: instance, error)
        }
        let logProb = distribution.logProb(of: value)
        if isControlled { trace.logPrior += logProb }
        trace.logWeight += logWeight
        trace.entries.append(
            Trace.Entry(
                kind: .sample, address: address, instance: instance, name: name, distribution: distribution,
                value: value, logProb: logProb, isControlled: isControlled))
        return value
    }

    /// Scores an observe statement and returns the value used.
    ///
    /// The value is the observation set's entry for `name` if there is one, else `value` from the simulator.
    /// Its log likelihood is added to the trace's log weight.
    /// - Returns: the observed value, or `nil` if in prior mode there was none.
    /// - Throws: ``ModelError`` if the distribution or (in posterior mode) the value is missing or invalid.
    @discardableResult
    public mutating func observe(
        _ distribution: Distribution?, address: String, name: String = "", value: Tensor?
    ) throws -> Tensor? {
        let instance = nextInstance(of: address)
        guard let stated = distribution else {
            throw ModelError.missingDistribution(statement: "observe", address: address, instance: instance)
        }
        do throws(DistributionError) {
            try stated.validate()
        } catch {
            throw ModelError.invalidDistribution(statement: "observe", address: address, instance: instance, error)
        }
        let distribution = stated.normalized()
        let given = (name.isEmpty ? nil : observations[name]) ?? value
        let observed: Tensor
        switch (given, mode) {
        case (let given?, _): observed = given
        case (nil, .simulateObservations): observed = distribution.sample(using: &generator)
        case (nil, .posterior): throw ModelError.missingObservation(address: address, instance: instance, name: name)
        case (nil, .prior): return nil
        }
        do throws(DistributionError) {
            try distribution.validateValue(observed)
        } catch {
            throw ModelError.invalidObservedValue(address: address, instance: instance, name: name, error)
        }
        let logLikelihood = distribution.logProb(of: observed)
        trace.logLikelihood += logLikelihood
        trace.logWeight += logLikelihood
        trace.entries.append(
            Trace.Entry(
                kind: .observe, address: address, instance: instance, name: name, distribution: distribution,
                value: observed, logProb: logLikelihood, isControlled: false))
        return observed
    }

    /// Records a tagged value; it does not weigh the trace.
    public mutating func tag(_ value: Tensor?, address: String, name: String = "") {
        let instance = nextInstance(of: address)
        guard let value else { return }
        trace.entries.append(
            Trace.Entry(
                kind: .tag, address: address, instance: instance, name: name, distribution: nil, value: value,
                logProb: 0, isControlled: false))
    }
}
