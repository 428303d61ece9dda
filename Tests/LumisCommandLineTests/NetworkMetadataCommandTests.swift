import Foundation
import LumisCompilation
import LumisTestSupport
import Testing

/// Networks that know what they are (issue 15 part 5), through the built `lumis` and the bundled simulators:
/// what `lumis train` records, `lumis network-info`, `lumis plot` of a network, the model and shape checks of
/// `lumis infer --engine ic`, and the plain progress line per validation in a log.
@Suite("lumis network metadata", .serialized, .timeLimit(.minutes(3)))
struct NetworkMetadataCommandTests {
    static func lumis(_ arguments: [String]) throws -> Executables.Outcome {
        try Executables.run(Executables.lumis(), arguments, environment: ["OPENBLAS_NUM_THREADS": "1"])
    }

    static func launch(_ simulator: String) throws -> String { "\(try Executables.simulator(simulator)) {endpoint}" }

    /// The earlier build's network file (no model, observations or history recorded).
    static let fixture = Executables.repositoryRoot.appendingPathComponent(
        "Tests/Fixtures/gum-network-float64.lumisnet"
    )
    .path

    /// Trains a small network on gum into `path`.
    static func train(_ path: String, traces: Int, extra: [String] = []) throws -> Executables.Outcome {
        let outcome = try lumis(
            [
                "train", "--launch", try launch("gum"), "--batch-size", "32", "--traces", "\(traces)", "--out", path,
            ] + extra)
        try #require(outcome.status == 0, "\(outcome.standardError)")
        return outcome
    }

    static let smallNetwork = [
        "--lstm-hidden", "8", "--embedding-dim", "4", "--validation-traces", "32", "--seed", "93",
    ]

    /// `%.4g`, as progress lines show a loss.
    static func short(_ value: Double?) -> String { value.map { String(format: "%.4g", $0) } ?? "-" }

    /// `%.6g`, as network-info shows a loss.
    static func long(_ value: Double?) -> String { value.map { String(format: "%.6g", $0) } ?? "-" }

    /// The `data-x`, `data-y` of the `<circle class="point">` elements labelled `label`.
    static func points(_ svg: String, label: String) -> [(Double, Double)] {
        svg.split(separator: "\n").filter { $0.hasPrefix("<circle") && $0.contains("data-label=\"\(label)\"") }.map {
            line in
            let value = { (attribute: String) -> Double in
                let start = line.range(of: "\(attribute)=\"")!.upperBound  // every point has both attributes
                return Double(line[start...].prefix { $0 != "\"" }) ?? .nan
            }
            return (value("data-x"), value("data-y"))
        }
    }

    @Test("train records model, observations, traces and losses; network-info and plot show them; resume continues")
    func recordedAndShown() throws {
        let directory = try Executables.temporaryDirectory("net-metadata")
        defer { try? FileManager.default.removeItem(at: directory) }
        let net = directory.appendingPathComponent("gum.lumisnet").path
        // stderr is a pipe, as in a batch job's log: one plain line per validation (the 60 s interval never
        // comes in this short run).
        let training = try Self.train(net, traces: 1024, extra: Self.smallNetwork + ["--validate-every", "256"])
        let trainer = try NetworkFile.read(from: net)
        let history = trainer.state.history
        #expect(history.map(\.traces) == [256, 512, 768, 1024])
        #expect(trainer.state.traces == 1024)
        #expect(trainer.network.signature.model == "Gaussian with unknown mean")
        #expect(trainer.network.signature.observations?.map(\.name) == ["obs0", "obs1"])
        let lines = training.standardError.split(separator: "\n").filter { $0.hasPrefix("training  ") }
        try #require(lines.count == history.count, "\(training.standardError)")
        for (line, point) in zip(lines, history) {
            #expect(line.contains(" \(point.traces)/1024 traces  "), "\(line)")
            #expect(line.contains(" traces/s  ") && (line.contains("  elapsed ") || line.contains("  done in ")))
            #expect(line.contains("  loss \(Self.short(point.loss))  "), "\(line) \(point)")
            #expect(line.contains("  validation \(Self.short(point.validationLoss))  "), "\(line) \(point)")
        }

        let info = try Self.lumis(["network-info", net])
        #expect(info.status == 0, "\(info.standardError)")
        let text = info.standardOutput
        for expected in [
            "model         'Gaussian with unknown mean'", "observed      obs0 [], obs1 []",
            "embedded      obs0 [1] ff 4, obs1 [1] ff 4", "parameters    \(trainer.network.parameterCount)\n",
            "precision     float32", "traces seen   1024 (32 steps", "addresses     1\n", "loss history  4 points:",
        ] {
            #expect(text.contains(expected), "\(expected) in \(text)")
        }
        for point in history {
            let row = [String(point.traces), Self.long(point.loss), Self.long(point.validationLoss)]
            #expect(
                text.split(separator: "\n").contains { $0.split(separator: " ").map(String.init) == row },
                "\(row) in \(text)")
        }

        let plots = directory.appendingPathComponent("plots").path
        let plot = try Self.lumis(["plot", net, "--out", plots])
        #expect(plot.status == 0, "\(plot.standardError)")
        let svg = try String(contentsOfFile: plots + "/loss.svg", encoding: .utf8)
        let drawn = Self.points(svg, label: "training")
        #expect(drawn.map(\.0) == history.map { Double($0.traces) })
        #expect(drawn.map(\.1) == history.map { $0.loss ?? .nan })
        #expect(Self.points(svg, label: "validation").map(\.1) == history.map { $0.validationLoss ?? .nan })
        #expect(FileManager.default.fileExists(atPath: plots + "/index.html"))

        // A resumed run continues the history and the count of traces seen.
        let resumedPath = directory.appendingPathComponent("resumed.lumisnet").path
        _ = try Self.train(resumedPath, traces: 512, extra: ["--resume", net, "--validate-every", "256"])
        let resumed = try NetworkFile.read(from: resumedPath)
        #expect(resumed.state.traces == 1536)
        #expect(Array(resumed.state.history.prefix(4)) == history)
        #expect(resumed.state.history.map(\.traces) == [256, 512, 768, 1024, 1280, 1536])
        #expect(resumed.network.signature == trainer.network.signature)
        let resumedInfo = try Self.lumis(["network-info", resumedPath, "--points", "2"])
        #expect(resumedInfo.standardOutput.contains("traces seen   1536 ("), "\(resumedInfo.standardOutput)")
        #expect(resumedInfo.standardOutput.contains("loss history  6 points, the last 2:"))
    }

    @Test("ic against another bundled simulator's model, or with observations of another shape: one line naming both")
    func mismatches() throws {
        let directory = try Executables.temporaryDirectory("net-mismatch")
        defer { try? FileManager.default.removeItem(at: directory) }
        let net = directory.appendingPathComponent("gum.lumisnet").path
        _ = try Self.train(net, traces: 128, extra: Self.smallNetwork + ["--no-progress"])
        let out = directory.appendingPathComponent("p.json").path
        let infer = { (simulator: String, observations: [String]) in
            try Self.lumis(
                [
                    "infer", "--engine", "ic", "--network", net, "--launch", try Self.launch(simulator), "--traces",
                    "50", "--seed", "1", "--out", out,
                ] + observations.flatMap { ["--observe", $0] })
        }
        OperationsTests.expectOneLine(
            try infer("branching", ["obs0=8", "obs1=9"]), status: 1,
            mentions: [
                "--network \(net): the network was trained on model 'Gaussian with unknown mean', but the "
                    + "simulator's model is 'Branching'"
            ])
        OperationsTests.expectOneLine(
            try infer("gum", ["obs0=8", "obs1=[9,1]"]), status: 64,
            mentions: ["--network \(net): observation obs1 has shape [2]; the network was trained on shape []"])
        #expect(!FileManager.default.fileExists(atPath: out))
        // Training it further on another model is refused the same way.
        let resumedPath = directory.appendingPathComponent("resumed.lumisnet").path
        OperationsTests.expectOneLine(
            try Self.lumis([
                "train", "--launch", try Self.launch("branching"), "--resume", net, "--traces", "32", "--out",
                resumedPath,
            ]), status: 64,
            mentions: ["--resume \(net): the network was trained on model 'Gaussian with unknown mean', but the "])
        #expect(!FileManager.default.fileExists(atPath: resumedPath))
        // The same model with the same shapes (a one-element array is a scalar) runs.
        let good = try infer("gum", ["obs0=8", "obs1=[9]"])
        #expect(good.status == 0, "\(good.standardError)")
        #expect(FileManager.default.fileExists(atPath: out))
    }

    @Test("An earlier build's network file: network-info shows unknowns, ic runs, resuming records the model")
    func earlierFile() throws {
        let directory = try Executables.temporaryDirectory("net-earlier")
        defer { try? FileManager.default.removeItem(at: directory) }
        let info = try Self.lumis(["network-info", Self.fixture])
        #expect(info.status == 0, "\(info.standardError)")
        for expected in [
            "model         unknown", "observed      unknown", "traces seen   128 (", "loss history  none recorded",
            "precision     float64",
        ] {
            #expect(info.standardOutput.contains(expected), "\(expected) in \(info.standardOutput)")
        }
        // No model recorded: nothing to check, so it runs on gum as before.
        let inferred = try Self.lumis([
            "infer", "--engine", "ic", "--network", Self.fixture, "--launch", try Self.launch("gum"), "--traces", "20",
            "--observe", "obs0=8", "--observe", "obs1=9", "--seed", "2",
        ])
        #expect(inferred.status == 0, "\(inferred.standardError)")
        let plots = directory.appendingPathComponent("plots").path
        OperationsTests.expectOneLine(
            try Self.lumis(["plot", Self.fixture, "--out", plots]), status: 64, mentions: ["no loss history"])
        let net = directory.appendingPathComponent("resumed.lumisnet").path
        _ = try Self.train(net, traces: 64, extra: ["--resume", Self.fixture])
        let resumed = try NetworkFile.read(from: net)
        #expect(resumed.network.signature.model == "Gaussian with unknown mean")
        #expect(resumed.network.signature.observations?.map(\.shape) == [[], []])
        // 64 traces validated every max(batch size 32, 64 / 20) traces.
        #expect(resumed.state.traces == 192 && resumed.state.history.map(\.traces) == [160, 192])
    }

    @Test("network-info and plot of a missing, truncated or foreign file: one line, exit 1")
    func badFiles() throws {
        let directory = try Executables.temporaryDirectory("net-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("none.lumisnet").path
        let truncated = directory.appendingPathComponent("short.lumisnet").path
        try Data(try Data(contentsOf: URL(fileURLWithPath: Self.fixture)).prefix(100)).write(
            to: URL(fileURLWithPath: truncated))
        let foreign = directory.appendingPathComponent("p.lumisnet").path
        try Data("{\"traces\": 3}".utf8).write(to: URL(fileURLWithPath: foreign))
        let plots = directory.appendingPathComponent("plots").path
        for (path, message) in [
            (missing, "No such file or directory"), (truncated, "truncated"), (foreign, "not a Lumis parameter file"),
        ] {
            OperationsTests.expectOneLine(
                try Self.lumis(["network-info", path]), status: 1, mentions: [path, message])
            OperationsTests.expectOneLine(
                try Self.lumis(["plot", path, "--out", plots]), status: 1, mentions: [path, message])
        }
        #expect(!FileManager.default.fileExists(atPath: plots))
    }
}
