import Foundation
import LumisCore
import LumisDistributions
import LumisSimulation
import LumisTensor
import LumisTestSupport
import LumisTransport
import LumisWire
import Testing

/// The PPX client against the real C++ `faulty` simulator and against scripted fakes, over real sockets.
@Suite("PPXSimulator", .serialized, .timeLimit(.minutes(2)))
struct PPXSimulatorTests {
    static func endpoint(_ label: String) -> String { "ipc://@lumis-test-ppx-\(getpid())-\(label)" }

    /// An execution of GUM (obs0 = 8, obs1 = 9) on random stream `index` of seed 1.
    static func execution(index: Int = 0) -> TraceExecution {
        TraceExecution(
            observations: ObservationSet(["obs0": Tensor(8), "obs1": Tensor(9)]), mode: .posterior,
            generator: Xoshiro256StarStar(seed: 1, stream: UInt64(index)))
    }

    /// Runs one trace, returning the failure it threw, if any (other errors propagate).
    static func attempt(_ simulator: PPXSimulator, index: Int) throws -> SimulatorFailure? {
        var execution = execution(index: index)
        do {
            _ = try simulator.run(&execution)
            return nil
        } catch let failure as SimulatorFailure {
            return failure
        }
    }

    /// The trace of a clean GUM run on stream `index`, from `faulty` without faults.
    static func cleanTrace(_ simulator: PPXSimulator, index: Int) throws -> (mu: Double, logWeight: Double) {
        var execution = execution(index: index)
        let result = try #require(try simulator.run(&execution)?.scalar)
        let trace = execution.finish(result: Tensor(result))
        #expect(trace.entries.first?.value.scalar == result)
        return (result, trace.logWeight)
    }

    // MARK: - Faults from the real C++ simulator

    @Test("Reset, an undecodable frame and a dying process each cost only the trace in flight")
    func faultsCostOneTrace() throws {
        let endpoint = Self.endpoint("faults")
        let command = try Executables.simulator("faulty") + " {endpoint} --reset-at 2 --garbage-at 3 --die-at 5"
        let process = try SimulatorProcess(command: command, endpoint: endpoint)
        let simulator = try PPXSimulator(
            endpoint: endpoint, context: ZMQContext(), timeout: .seconds(20), process: process)
        // Per-process trace numbers: 1 ok, 2 Reset, 3 garbage, 4 ok, 5 dies; the restarted process starts at 1.
        #expect(try Self.attempt(simulator, index: 0) == nil)
        #expect(simulator.modelName == "Gaussian with unknown mean (faulty)")

        let reset = try #require(try Self.attempt(simulator, index: 1))
        #expect(reset.kind == .outOfSync && reset.isRecoverable && reset.endpoint == endpoint)
        #expect(reset.detail.contains("Reset"))

        let garbage = try #require(try Self.attempt(simulator, index: 1))
        #expect(garbage.kind == .outOfSync && garbage.isRecoverable)
        #expect(garbage.detail.contains("7 bytes (f7 ff ff ff 13 5a c4) that are not a PPX message"))
        #expect(garbage.detail.hasSuffix("while Lumis waited for the first message of a run"))

        #expect(try Self.attempt(simulator, index: 1) == nil)
        #expect(simulator.restartCount == 0)

        let death = try #require(try Self.attempt(simulator, index: 2))
        #expect(death.kind == .processExited && death.isRecoverable)
        #expect(death.description.contains(endpoint) && death.detail.contains("exited with status 3"))

        // The retry restarts the process and gives exactly the trace a clean run gives for that stream.
        let retried = try Self.cleanTrace(simulator, index: 2)
        #expect(simulator.restartCount == 1 && process.launchCount == 2)
        let cleanEndpoint = Self.endpoint("faults-clean")
        let cleanProcess = try SimulatorProcess(
            command: try Executables.simulator("faulty") + " {endpoint}", endpoint: cleanEndpoint)
        let clean = try PPXSimulator(
            endpoint: cleanEndpoint, context: ZMQContext(), timeout: .seconds(20), process: cleanProcess)
        let reference = try Self.cleanTrace(clean, index: 2)
        #expect(retried.mu == reference.mu && retried.logWeight == reference.logWeight)
    }

    @Test("A hung launched simulator is stopped after the timeout and restarted for the next trace")
    func hangIsStoppedAndRestarted() throws {
        let endpoint = Self.endpoint("hang")
        let command = try Executables.simulator("faulty") + " {endpoint} --hang-at 2"
        let process = try SimulatorProcess(command: command, endpoint: endpoint)
        let simulator = try PPXSimulator(
            endpoint: endpoint, context: ZMQContext(), timeout: .milliseconds(800), process: process)
        #expect(try Self.attempt(simulator, index: 0) == nil)
        let clock = ContinuousClock()
        let start = clock.now
        let hang = try #require(try Self.attempt(simulator, index: 1))
        #expect(hang.kind == .timedOut && hang.isRecoverable && hang.detail.contains("process stopped"))
        #expect(!process.isRunning)
        // The timeout plus the SIGTERM grace, with a generous margin for a loaded machine: it did not wait forever.
        #expect(clock.now - start < .seconds(10))
        #expect(try Self.attempt(simulator, index: 1) == nil)
        #expect(simulator.restartCount == 1)
    }

    @Test("An endpoint with nothing behind it fails within the timeout, naming the endpoint")
    func nobodyThere() throws {
        let endpoint = Self.endpoint("nobody")
        let simulator = try PPXSimulator(endpoint: endpoint, context: ZMQContext(), timeout: .milliseconds(500))
        let clock = ContinuousClock()
        let start = clock.now
        do {
            try simulator.connect()
            Issue.record("connect succeeded with nothing bound at \(endpoint)")
        } catch let failure as SimulatorFailure {
            #expect(failure.kind == .timedOut && !failure.isRecoverable && failure.endpoint == endpoint)
            #expect(failure.description.hasPrefix("simulator at \(endpoint): no simulator answered"))
        }
        #expect(clock.now - start < .seconds(5))
    }

    // MARK: - Protocol edge cases from a scripted fake

    /// Runs one trace against a fake that answers every Run with `firstReply`, returning the error thrown.
    static func errorFromFake(_ label: String, firstReply: FakeSimulator.Reply) throws -> (any Error)? {
        let fake = try FakeSimulator(endpoint: endpoint(label)) { _, _ in firstReply }
        defer { fake.stop() }
        let simulator = try PPXSimulator(endpoint: fake.endpoint, context: ZMQContext(), timeout: .seconds(10))
        var execution = execution()
        do {
            _ = try simulator.run(&execution)
            return nil
        } catch {
            return error
        }
    }

    @Test("An Observe without a distribution is a ModelError naming the endpoint and the address")
    func observeWithoutDistribution() throws {
        let observe = Observe(address: "fake.cpp:7", name: "obs0", distribution: nil, value: Tensor(1))
        let error = try Self.errorFromFake("no-distribution", firstReply: .message(.observe(observe)))
        let remote = try #require(error as? SimulatorModelError)
        #expect(remote.endpoint == Self.endpoint("no-distribution"))
        #expect(remote.description.hasPrefix("simulator at \(remote.endpoint): observe at address fake.cpp:7"))
        let modelError = remote.error
        #expect(modelError == .missingDistribution(statement: "observe", address: "fake.cpp:7", instance: 1))
        #expect(modelError.description.contains("fake.cpp:7"))
    }

    /// Samples whose parameters no distribution accepts, with the parameter the error must name.
    static let invalidSamples: [(label: String, distribution: Distribution, mentions: String)] = [
        ("stddev -1", .normal(mean: Tensor(0), stddev: Tensor(-1)), "stddev"),
        ("NaN mean", .normal(mean: Tensor(.nan), stddev: Tensor(1)), "mean"),
        ("probs row of zeros", .categorical(probs: Tensor([0, 0])), "row 0 sums to 0.0"),
        ("Uniform low above high", .uniform(low: Tensor(2), high: Tensor(1)), "low"),
        ("Poisson rate +inf", .poisson(rate: Tensor(.infinity)), "rate"),
    ]

    @Test("A Sample with invalid parameters is a ModelError naming the address", arguments: 0..<5)
    func invalidSample(case number: Int) throws {
        let (label, distribution, mentions) = Self.invalidSamples[number]
        let sample = Sample(address: "fake.cpp:12", name: "x", distribution: distribution)
        let error = try Self.errorFromFake("invalid-sample-\(number)", firstReply: .message(.sample(sample)))
        guard
            case .invalidDistribution(let statement, let address, let instance, let reason) =
                (error as? SimulatorModelError)?.error
        else {
            Issue.record("\(label): expected ModelError.invalidDistribution, got \(String(describing: error))")
            return
        }
        #expect(statement == "sample" && address == "fake.cpp:12" && instance == 1, "\(label)")
        #expect(reason.description.contains(mentions), "\(label): \(reason)")
        #expect((error as? SimulatorModelError)?.description.contains("fake.cpp:12") == true)
    }

    @Test("An unexpected HandshakeResult in a run is out of sync, and the next run reconnects and succeeds")
    func handshakeResultInRun() throws {
        let fake = try FakeSimulator(endpoint: Self.endpoint("handshake-in-run")) { request, runCount in
            guard case .run = request else { return .message(.reset) }
            return runCount == 1
                ? .message(.handshakeResult(systemName: "confused", modelName: "?"))
                : .message(.runResult(result: Tensor(42)))
        }
        defer { fake.stop() }
        let simulator = try PPXSimulator(endpoint: fake.endpoint, context: ZMQContext(), timeout: .seconds(10))
        let failure = try #require(try Self.attempt(simulator, index: 0))
        #expect(failure.kind == .outOfSync && failure.isRecoverable)
        #expect(
            failure.detail
                == "sent HandshakeResult in reply to Lumis's Run; expected Sample, Observe, Tag or RunResult")
        var execution = Self.execution()
        #expect(try simulator.run(&execution) == Tensor(42))
    }

    @Test("A multi-part message is out of sync even if its first part is a valid message; the next run works")
    func multipartFrame() throws {
        var encoder = MessageEncoder()
        let valid = encoder.encode(.runResult(result: Tensor(1)))
        let peer = MultipartPeer(endpoint: Self.endpoint("multipart"), parts: [valid, [1, 2, 3]], later: 5)
        defer { peer.stop() }
        let simulator = try PPXSimulator(
            endpoint: Self.endpoint("multipart"), context: ZMQContext(), timeout: .seconds(10))
        let failure = try #require(try Self.attempt(simulator, index: 0))
        #expect(failure.kind == .outOfSync && failure.isRecoverable)
        #expect(failure.detail.contains("2 frames"))
        var execution = Self.execution()
        #expect(try simulator.run(&execution) == Tensor(5))
    }

    @Test("A huge undecodable frame is out of sync; a huge valid one arrives intact")
    func hugeFrames() throws {
        let elementCount = 4_000_000  // 32 MB of doubles
        let fake = try FakeSimulator(endpoint: Self.endpoint("huge")) { request, runCount in
            guard case .run = request else { return .message(.reset) }
            if runCount == 1 { return .bytes([UInt8](repeating: 0xff, count: 48 << 20)) }
            let scalars = (0..<elementCount).map { Double($0) * 0.5 }
            return .message(.runResult(result: Tensor(shape: [elementCount], scalars: scalars)))
        }
        defer { fake.stop() }
        let simulator = try PPXSimulator(endpoint: fake.endpoint, context: ZMQContext(), timeout: .seconds(30))
        let failure = try #require(try Self.attempt(simulator, index: 0))
        #expect(
            failure.kind == .outOfSync
                && failure.detail.contains(
                    "\(48 << 20) bytes (ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ...) that are not a PPX message"
                ))
        var execution = Self.execution()
        let result = try #require(try simulator.run(&execution))
        #expect(result.shape == [elementCount])
        #expect(result.scalars.count == elementCount && result.scalars.last == Double(elementCount - 1) * 0.5)
        #expect(result.scalars.enumerated().allSatisfy { $0.element == Double($0.offset) * 0.5 })
    }
}
