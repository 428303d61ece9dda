import Foundation
import LumisCore
import LumisInference
import LumisSimulation
import LumisTensor
import LumisTestSupport
import Testing

/// Whole inference jobs against the real C++ simulators that fail on purpose: faults cost only the trace in
/// flight, which is redone on the same random stream, so the posterior is exactly that of a clean run.
@Suite("Recovery from simulator faults", .serialized, .timeLimit(.minutes(2)))
struct RecoveryTests {
    static let traceCount = 400
    static let observations = ObservationSet(["obs0": Tensor(8), "obs1": Tensor(9)])

    /// The traces of an IS run over `source`.
    static func run(
        _ source: SimulatorSource, workers: Int = 1, timeout: Duration = .seconds(20), maxFailures: Int = 10
    ) throws -> JobOutput {
        var run = InferenceRun(
            engine: .importanceSampling, source: source, traceCount: traceCount, workers: workers, seed: 1,
            observations: observations)
        run.timeout = timeout
        run.maxConsecutiveFailures = maxFailures
        return try #require(try run.run()?.traces)
    }

    /// A launch command whose n-th process (counted across all workers) runs `faulty` with `faults[n - 1]`, and
    /// every later one runs it clean.
    ///
    /// `mkdir` numbers the launches atomically.
    static func launcher(faults: [String], in directory: URL) throws -> String {
        let faulty = try Executables.simulator("faulty")
        let cases = faults.enumerated().map { "\($0.offset + 1)) exec '\(faulty)' \"$1\" \($0.element) ;;" }
        let script = """
            n=1
            while ! mkdir '\(directory.path)/launch-'$n 2>/dev/null; do n=$((n + 1)); done
            case $n in
            \(cases.joined(separator: "\n"))
            *) exec '\(faulty)' "$1" ;;
            esac

            """
        let path = directory.appendingPathComponent("launch.sh")
        try script.write(to: path, atomically: true, encoding: .utf8)
        return "sh '\(path.path)' {endpoint}"
    }

    /// The posterior file text of `output` under fixed metadata, so that only the traces can differ.
    static func posteriorJSON(_ output: JobOutput) -> String {
        output.posterior.summary(metadata: PosteriorMetadata(engine: "is", seed: 1, model: "GUM")).jsonText()
    }

    /// Indices of traces that differ between two stores of equal length.
    static func differingTraces(_ a: TraceStore, _ b: TraceStore) -> [Int] {
        (0..<min(a.count, b.count)).filter { a.storedTrace(at: $0) != b.storedTrace(at: $0) }
    }

    @Test(
        "Reset, garbage, death and hang are each discarded and redone; the posterior equals a clean run's",
        arguments: [1, 2])
    func faultsLeaveNoTrace(workers: Int) throws {
        let directory = try Executables.temporaryDirectory("recovery")
        defer { try? FileManager.default.removeItem(at: directory) }
        // Launch 1 replies Reset in its 3rd trace, garbage in its 7th and dies in its 12th; launch 2 (the restart
        // with one worker, the second worker's first process with two) hangs in its 5th; later launches are clean.
        let command = try Self.launcher(
            faults: ["--reset-at 3 --garbage-at 7 --die-at 12", "--hang-at 5"], in: directory)
        let faulty = try Self.run(.launch(command: command), workers: workers, timeout: .seconds(1))
        #expect(faulty.report.discardedTraces == 4)
        #expect(faulty.report.restarts == 2)
        #expect(faulty.store.count == Self.traceCount)

        let clean = try Self.run(.launch(command: try Executables.simulator("faulty") + " {endpoint}"))
        #expect(clean.report.discardedTraces == 0 && clean.report.restarts == 0)
        #expect(Self.differingTraces(faulty.store, clean.store).isEmpty)
        #expect(faulty.store.logWeights == clean.store.logWeights)
        #expect(Self.posteriorJSON(faulty) == Self.posteriorJSON(clean))

        // `gum` is the same model at other addresses (gum.cpp:N, not faulty.cpp:N): the same values and weights.
        let gum = try Self.run(.launch(command: try Executables.simulator("gum") + " {endpoint}"))
        #expect(gum.report.modelName == "Gaussian with unknown mean")
        #expect(gum.store.logWeights == faulty.store.logWeights)
        let sameValues = (0..<Self.traceCount).allSatisfy { index in
            gum.store.value(of: .name("mu"), inTrace: index) == faulty.store.value(of: .name("mu"), inTrace: index)
                && gum.store.storedTrace(at: index).result == faulty.store.storedTrace(at: index).result
        }
        #expect(sameValues)
        let gumSummary = gum.posterior.summary(metadata: PosteriorMetadata(engine: "is", seed: 1, model: "GUM"))
        let faultySummary = faulty.posterior.summary(metadata: PosteriorMetadata(engine: "is", seed: 1, model: "GUM"))
        #expect(gumSummary.variables == faultySummary.variables && gumSummary.result == faultySummary.result)
        #expect(gumSummary.effectiveSampleSize == faultySummary.effectiveSampleSize)
    }

    @Test("A simulator that dies in every trace stops the run after maxConsecutiveFailures, naming it")
    func repeatedFailure() throws {
        let command = try Executables.simulator("faulty") + " {endpoint} --die-at 1"
        do {
            _ = try Self.run(.launch(command: command), maxFailures: 3)
            Issue.record("a simulator that always dies should stop the run")
        } catch let error as RepeatedFailure {
            #expect(error.attempts == 3)  // --max-failures N gives up at the N-th failure
            #expect(error.failure.kind == .processExited)
            #expect(error.failure.endpoint.hasPrefix("ipc://") && error.failure.endpoint.contains("/lumis-"))
            #expect(error.description.hasPrefix("simulator at \(error.failure.endpoint): process '"))
            #expect(error.description.contains("exited with status 3"))
            #expect(error.description.hasSuffix("(3 failed attempts in a row; giving up, see --max-failures)"))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("An attached endpoint with nothing behind it gives a clear error within the timeout")
    func attachedToNothing() throws {
        let endpoint = "ipc://@lumis-test-recovery-\(getpid())-nobody"
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try Self.run(.attach(endpoints: [endpoint]), timeout: .milliseconds(500))
            Issue.record("a run against an empty endpoint should fail")
        } catch let failure as SimulatorFailure {
            #expect(failure.kind == .timedOut && !failure.isRecoverable)
            #expect(
                failure.description == "simulator at \(endpoint): no simulator answered within 0.5 seconds"
                    + " (is it running and bound there?)")
        }
        #expect(clock.now - start < .seconds(5))
    }
}
