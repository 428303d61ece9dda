import Foundation
import LumisTestSupport
import Testing

/// MCMC against the bundled C++ simulators over ipc, through `lumis infer` (issue 3 items 8 and 13).
@Suite("MCMC: C++ simulators over PPX", .serialized, .timeLimit(.minutes(3)))
struct MCMCRemoteTests {
    static func lumis(_ arguments: [String]) throws -> (status: Int32, json: [String: Any]?, stderr: String) {
        let directory = try Executables.temporaryDirectory("mcmc")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("posterior.json").path
        let outcome = try Executables.run(
            try Executables.lumis(), ["infer", "--out", out, "--no-progress"] + arguments)
        let json = (try? Data(contentsOf: URL(fileURLWithPath: out))).flatMap {
            try? JSONSerialization.jsonObject(with: $0) as? [String: Any]
        }
        return (outcome.status, json, outcome.standardError)
    }

    static func value(_ json: [String: Any]?, _ path: String...) -> Any? {
        var node: Any? = json
        for key in path { node = (node as? [String: Any])?[key] }
        return node
    }

    /// One field of every per-chain record (the file's top-level `chains`).
    static func perChain(_ json: [String: Any]?, _ key: String) -> [Any]? {
        (json?["chains"] as? [[String: Any]])?.map { $0[key] ?? NSNull() }
    }

    @Test("(8) gum over ipc, --launch, 4 chains of RMH: mean 7.25 ± 0.1, stddev 0.913 ± 0.1")
    func gaussian() throws {
        let (status, json, stderr) = try Self.lumis([
            "--launch", "\(try Executables.simulator("gum")) {endpoint}", "--engine", "rmh", "--chains", "4",
            "--burn-in", "500", "--traces", "4000", "--step-size", "0.5", "--seed", "31", "--observe", "obs0=8",
            "--observe", "obs1=9",
        ])
        #expect(status == 0, "\(stderr)")
        let mean = try #require(Self.value(json, "variables", "mu", "mean") as? Double)
        let stddev = try #require(Self.value(json, "variables", "mu", "stddev") as? Double)
        // RMH at step 0.5 on this model: ESS ≈ 0.15·N (measured in process), so 16,000 draws give MCSE ≈ 0.019,
        // 4·MCSE < 0.1.
        #expect(abs(mean - 7.25) <= 0.1, "mean \(mean)")
        #expect(abs(stddev - 0.913) <= 0.1, "stddev \(stddev)")
        #expect(Self.perChain(json, "draws") as? [Int] == [4000, 4000, 4000, 4000])
        #expect(Self.value(json, "mcmc", "complete") as? Bool == true)
        #expect((Self.value(json, "mcmc", "chain_states") as? [Any])?.count == 4)
        #expect(Self.value(json, "weighting") as? String == "uniform")
    }

    @Test("(13) Launched simulator that dies and hangs mid-trace: restarts counted, chains identical to a clean run")
    func launchedFailures() throws {
        let faulty = try Executables.simulator("faulty")
        let common = [
            "--engine", "lmh", "--chains", "2", "--burn-in", "0", "--traces", "12", "--seed", "32", "--observe",
            "obs0=8", "--observe", "obs1=9", "--timeout", "1",
        ]
        let clean = try Self.lumis(["--launch", "\(faulty) {endpoint}"] + common)
        #expect(clean.status == 0, "\(clean.stderr)")
        // Every process dies in its 4th trace; a second run's processes hang in their 6th.
        for flags in ["--die-at 4", "--hang-at 6"] {
            let broken = try Self.lumis(["--launch", "\(faulty) {endpoint} \(flags)"] + common)
            #expect(broken.status == 0, "\(flags): \(broken.stderr)")
            let restarts = try #require(Self.value(broken.json, "restarts") as? Int)
            #expect(restarts >= 2, "\(flags)")
            let chainRestarts = try #require(Self.perChain(broken.json, "restarts") as? [Int])
            #expect(chainRestarts.allSatisfy { $0 >= 1 } && chainRestarts.reduce(0, +) == restarts, "\(flags)")
            // The same chains as without failures: same states, same draws' statistics, same acceptance.
            #expect(
                NSDictionary(dictionary: ["k": Self.value(broken.json, "mcmc", "chain_states") ?? 0])
                    == NSDictionary(dictionary: ["k": Self.value(clean.json, "mcmc", "chain_states") ?? 1]), "\(flags)")
            for key in ["acceptance_rate", "draws"] {
                #expect(
                    NSDictionary(dictionary: ["k": Self.perChain(broken.json, key) ?? 0])
                        == NSDictionary(dictionary: ["k": Self.perChain(clean.json, key) ?? 1]), "\(flags) \(key)")
            }
            #expect(
                NSDictionary(dictionary: Self.value(broken.json, "variables") as? [String: Any] ?? [:])
                    == NSDictionary(dictionary: Self.value(clean.json, "variables") as? [String: Any] ?? ["x": 1]))
        }
    }

    @Test("(13) Attached simulator that dies mid-run: a clear error, and the draws so far are written")
    func attachedFailure() throws {
        let endpoint = "ipc://@lumis-mcmc-attached-\(getpid())"
        let simulator = Process()
        simulator.executableURL = URL(fileURLWithPath: try Executables.simulator("faulty"))
        simulator.arguments = [endpoint, "--die-at", "30"]
        try simulator.run()
        defer { if simulator.isRunning { simulator.terminate() } }
        let (status, json, stderr) = try Self.lumis([
            "--simulator", endpoint, "--engine", "lmh", "--burn-in", "0", "--traces", "100", "--seed", "33",
            "--observe", "obs0=8", "--observe", "obs1=9", "--timeout", "1",
        ])
        #expect(status == 1)
        #expect(stderr.contains("chain 0") && stderr.contains(endpoint), "\(stderr)")
        #expect(stderr.contains("wrote the draws collected so far"), "\(stderr)")
        // Trace 1 was the initial state, traces 2...29 the first 28 proposals; the 29th proposal died.
        #expect(Self.perChain(json, "draws") as? [Int] == [28])
        #expect(Self.value(json, "mcmc", "complete") as? Bool == false)
        let note = try #require(Self.value(json, "mcmc", "note") as? String)
        #expect(note.contains("stopped early"))
        #expect((Self.value(json, "mcmc", "chain_states") as? [Any])?.first is [String: Any])
    }
}
