import Foundation
import LumisCompilation
import LumisInference
import LumisTestSupport
import Testing

/// `lumis infer --engine rmh --network` through the real binary and the bundled C++ GUM simulator.
@Suite("lumis infer --engine rmh --network", .serialized, .timeLimit(.minutes(3)))
struct GuidedMCMCCommandTests {
    static func lumis(_ arguments: [String]) throws -> Executables.Outcome {
        try Executables.run(try Executables.lumis(), arguments, environment: ["OPENBLAS_NUM_THREADS": "1"])
    }

    @Test("RMH with network moves on gum: the exact posterior within its MCSE bounds, R-hat < 1.01")
    func guided() throws {
        let directory = try Executables.temporaryDirectory("guided")
        defer { try? FileManager.default.removeItem(at: directory) }
        let network = directory.appendingPathComponent("gum.lumisnet").path
        try GUMRuns.trainNetwork(to: network, traces: 2048, seed: 81)
        let out = directory.appendingPathComponent("p.json").path
        let outcome = try Self.lumis([
            "infer", "--launch", try GUMRuns.launch(), "--engine", "rmh", "--network", network,
            "--network-move-probability", "0.5", "--chains", "4", "--burn-in", "200", "--traces", "2000",
            "--observe", "obs0=8", "--observe", "obs1=9", "--seed", "82", "--out", out, "--no-progress",
        ])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let summary = try PosteriorSummary(contentsOfFile: out)
        let mu = try #require(summary.variables["mu"])
        let diagnostics = try #require(mu.diagnostics)
        let exact = ExactPosteriors.gaussianUnknownMean(observations: [8, 9])
        // 4.5 Monte Carlo standard errors (the file's MCSE of the mean, from the chains' bulk ESS).
        #expect(
            abs(mu.mean[0] - exact.mean) <= 4.5 * diagnostics.mcseMean[0], "\(mu.mean[0]) ± \(diagnostics.mcseMean[0])")
        #expect(diagnostics.rHat[0] < 1.01, "R-hat \(diagnostics.rHat[0])")
        let key = IndependenceMove.statisticsKey
        for chain in try #require(summary.chains) {
            #expect((chain.statistics.proposalsByAddress[key] ?? 0) > 500, "\(chain.statistics.proposalsByAddress)")
            #expect((chain.statistics.acceptedByAddress[key] ?? 0) > 0)
        }

        // The file records the guided kernel: the move probability and the network as its file identifies itself.
        let trainer = try NetworkFile.read(from: network)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: network)))
        let checksum = bytes.suffix(8).reversed().map { String(format: "%02x", $0) }.joined()
        let guide = try #require(summary.mcmc?.guide)
        #expect(guide.moveProbability == 0.5)
        #expect(
            guide.network
                == MCMCSummary.NetworkRecord(
                    file: "gum.lumisnet", model: "Gaussian with unknown mean", tracesSeen: trainer.state.traces,
                    checksum: checksum))
        let json = try String(contentsOfFile: out, encoding: .utf8).filter { $0 != " " }
        #expect(json.contains("\"network_move_probability\":0.5") && json.contains("\"checksum\":\"\(checksum)\""))
        let shown = try Self.lumis(["summary", out])
        #expect(shown.status == 0, "\(shown.standardError)")
        #expect(
            shown.standardOutput.contains(
                "network moves: probability 0.5 from gum.lumisnet (model 'Gaussian with unknown mean', "
                    + "\(trainer.state.traces) traces seen, checksum \(checksum))\n"),
            "\(shown.standardOutput)")

        // Resuming keeps the kernel: the same network and probability (the file's when not given) continue;
        // without --network, with another probability or another network it refuses in one line.
        let resume = { (extra: [String], out: String) in
            try Self.lumis(
                ["infer", "--launch", try GUMRuns.launch(), "--engine", "rmh", "--traces", "100", "--resume", out]
                    + extra + ["--out", out + ".more.json", "--no-progress"])
        }
        let continued = try resume(["--network", network], out)
        #expect(continued.status == 0, "\(continued.standardError)")
        let more = try PosteriorSummary(contentsOfFile: out + ".more.json")
        #expect(more.mcmc?.guide == guide)
        #expect(more.mcmc?.chainStates.compactMap { $0?.steps } == [2_300, 2_300, 2_300, 2_300])
        try FileManager.default.removeItem(atPath: out + ".more.json")
        OperationsTests.expectOneLine(
            try resume([], out), status: 64,
            mentions: ["--resume \(out) ran with network moves from gum.lumisnet (", "give --network again"])
        OperationsTests.expectOneLine(
            try resume(["--network", network, "--network-move-probability", "0.3"], out), status: 64,
            mentions: ["--network-move-probability 0.5", "0.3 differs"])
        let other = directory.appendingPathComponent("other.lumisnet").path
        _ = try GUMRuns.trainNetwork(to: other, traces: 64, seed: 83)
        OperationsTests.expectOneLine(
            try resume(["--network", other], out), status: 64,
            mentions: [
                "--resume \(out) ran with network gum.lumisnet (", "--network other.lumisnet (", "another network",
            ])
        // A plain chain is not continued with network moves.
        let plain = directory.appendingPathComponent("plain.json").path
        let single = try Self.lumis([
            "infer", "--launch", try GUMRuns.launch(), "--engine", "rmh", "--chains", "2", "--burn-in", "10",
            "--traces",
            "20", "--observe", "obs0=8", "--observe", "obs1=9", "--seed", "3", "--out", plain,
        ])
        #expect(single.status == 0, "\(single.standardError)")
        #expect(!(try String(contentsOfFile: plain, encoding: .utf8)).contains("network"))
        OperationsTests.expectOneLine(
            try resume(["--network", network], plain), status: 64,
            mentions: ["--resume \(plain) ran single-site moves only"])
        #expect(!FileManager.default.fileExists(atPath: plain + ".more.json"))
    }

    @Test(
        "Guided lmh/rmh against another model, or observations of another shape: IC's one line, nothing written",
        arguments: ["lmh", "rmh"])
    func mismatches(engine: String) throws {
        let directory = try Executables.temporaryDirectory("guided-mismatch")
        defer { try? FileManager.default.removeItem(at: directory) }
        let network = directory.appendingPathComponent("gum.lumisnet").path
        try GUMRuns.trainNetwork(to: network, traces: 64, seed: 83)
        let out = directory.appendingPathComponent("p.json").path
        let infer = { (simulator: String, observations: [String]) in
            try Self.lumis(
                [
                    "infer", "--engine", engine, "--network", network, "--launch",
                    "\(try Executables.simulator(simulator)) {endpoint}", "--chains", "2", "--burn-in", "5",
                    "--traces", "20", "--seed", "1", "--out", out, "--no-progress",
                ] + observations.flatMap { ["--observe", $0] })
        }
        OperationsTests.expectOneLine(
            try infer("branching", ["obs0=8", "obs1=9"]), status: 1,
            mentions: [
                "--network \(network): the network was trained on model 'Gaussian with unknown mean', but the "
                    + "simulator's model is 'Branching'"
            ])
        #expect(!FileManager.default.fileExists(atPath: out))
        OperationsTests.expectOneLine(
            try infer("gum", ["obs0=8", "obs1=[9,1]"]), status: 64,
            mentions: ["--network \(network): observation obs1 has shape [2]; the network was trained on shape []"])
        #expect(!FileManager.default.fileExists(atPath: out))
        // The same model with the same shapes (a one-element array is a scalar) runs.
        let good = try infer("gum", ["obs0=8", "obs1=[9]"])
        #expect(good.status == 0, "\(good.standardError)")
        #expect(FileManager.default.fileExists(atPath: out))
    }

    @Test(
        "Bad input: one error line, exit 64",
        arguments: [
            (["--engine", "rmh", "--network-move-probability", "0.5"], "--network-move-probability applies"),
            (["--engine", "is", "--network", "/tmp/x.lumisnet"], "--network applies to --engine ic, lmh or rmh"),
            (["--engine", "rmh", "--network", "/nonexistent/x.lumisnet"], "--network"),
            (
                ["--engine", "rmh", "--network", "/tmp/x.lumisnet", "--network-move-probability", "1.5"],
                "must be above 0"
            ),
        ])
    func badInput(extra: [String], message: String) throws {
        let outcome = try Self.lumis(
            ["infer", "--launch", try GUMRuns.launch(), "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "10"]
                + extra)
        #expect(outcome.status == 64, "\(outcome.standardError)")
        let errors = outcome.standardError.split(separator: "\n").filter { $0.contains("Error: ") }
        #expect(errors.count == 1 && errors.first?.contains(message) == true, "\(outcome.standardError)")
    }
}
