import Foundation
import LumisCompilation
import LumisInference
import LumisTestSupport
import Testing

/// `lumis calibrate` through the real binary and the bundled C++ GUM simulator.
@Suite("lumis calibrate", .serialized, .timeLimit(.minutes(4)))
struct CalibrateTests {
    static func lumis(_ arguments: [String]) throws -> Executables.Outcome {
        try Executables.run(try Executables.lumis(), arguments, environment: ["OPENBLAS_NUM_THREADS": "1"])
    }

    /// The lines of stderr that carry an error.
    static func errorLines(_ text: String) -> [Substring] {
        text.split(separator: "\n").filter { $0.contains("Error: ") }
    }

    @Test("IS from the prior on gum, 400 events: coverages in their 4-sigma bands, KS p >= 0.001; summary and plot")
    func importanceSamplingCalibrated() throws {
        let directory = try Executables.temporaryDirectory("calibrate-is")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("calibration.json").path
        // 200 traces per event give ESS about 90; IS's finite-N shortfall of the 90% coverage (about 1.45/ESS =
        // 0.016, docs/calibration.md) is then a quarter of the band's half-width (0.06).
        let outcome = try Self.lumis([
            "calibrate", "--launch", try GUMRuns.launch(), "--engine", "is", "--events", "400", "--traces", "200",
            "--workers", "2", "--seed", "41", "--out", out, "--no-progress",
        ])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let report = try CalibrationReport(contentsOfFile: out)
        #expect(report.events == 400 && report.tracesPerEvent == 200 && report.seed == 41 && report.engine == "is")
        #expect(report.model == "Gaussian with unknown mean")
        #expect(report.settings == CalibrationReport.Settings())
        #expect(Set(report.variables.keys) == ["mu", "(result)"])
        #expect(report.medianEffectiveSampleSize > 50 && report.medianEffectiveSampleSize < 150)
        for (label, variable) in report.variables {
            #expect(variable.events == 400 && variable.undefinedEvents == 0)
            for level in CalibrationReport.levels {
                let halfWidth = 4 * (level * (1 - level) / 400).squareRoot()
                #expect(abs(variable.coverage(level: level) - level) <= halfWidth, "\(label) \(level)")
            }
            #expect(try #require(variable.ksPValue) >= 0.001, "\(label)")
        }
        // The JSON keys the issue names.
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        #expect(
            json["events"] as? Int == 400 && json["traces_per_event"] as? Int == 200 && json["median_ess"] is Double)
        let mu = try #require((json["variables"] as? [String: Any])?["mu"] as? [String: Any])
        let coverage = try #require(mu["coverage"] as? [String: Double])
        #expect(Set(coverage.keys) == ["0.5", "0.9"] && mu["ks_p"] is Double)

        let summary = try Self.lumis(["summary", out])
        #expect(
            summary.status == 0 && summary.standardOutput.contains("no latent flagged"), "\(summary.standardOutput)")
        #expect(!summary.standardOutput.contains("MISCALIBRATED"))
        let plots = directory.appendingPathComponent("plots").path
        let plot = try Self.lumis(["plot", out, "--out", plots])
        #expect(plot.status == 0, "\(plot.standardError)")
        let svg = try String(contentsOfFile: plots + "/mu.rank.svg", encoding: .utf8)
        #expect(svg.contains("class=\"band\"") && svg.components(separatedBy: "class=\"bar\"").count - 1 == 20)
        #expect(FileManager.default.fileExists(atPath: plots + "/index.html"))
    }

    @Test(
        "RMH on gum, 200 events thinned to about the ESS: coverages in their 4-sigma bands, KS p >= 0.001; --strict exits 0"
    )
    func rmhCalibrated() throws {
        let directory = try Executables.temporaryDirectory("calibrate-rmh")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("calibration.json").path
        // 2 chains of 50 burn-in and 100 proposals kept every 4th: 50 draws per event. RMH on gum mixes in a few
        // proposals, so the thinned draws are nearly independent (checked below: median bulk ESS near 50) and the
        // ranks are uniform up to their grid: P(|rank/50 − ½| ≤ 0.45) = 45/51 = 0.882, inside the 90% band.
        let outcome = try Self.lumis([
            "calibrate", "--launch", try GUMRuns.launch(), "--engine", "rmh", "--chains", "2", "--burn-in", "50",
            "--traces",
            "100", "--thin", "4", "--events", "200", "--workers", "2", "--seed", "51", "--strict", "--out", out,
            "--no-progress",
        ])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let report = try CalibrationReport(contentsOfFile: out)
        #expect(report.events == 200 && report.tracesPerEvent == 100 && report.engine == "rmh")
        // The settings the run used, defaults included (step size 1), so a later reader can rerun it.
        #expect(report.settings == CalibrationReport.Settings(chains: 2, burnIn: 50, thin: 4, stepSize: 1))
        let summary = try Self.lumis(["summary", out])
        #expect(
            summary.standardOutput.contains("chains: 2  burn-in: 50  thin: 4  step size: 1"),
            "\(summary.standardOutput)")
        #expect(Set(report.variables.keys) == ["mu", "(result)"])
        // Thinned to about the ESS: the smallest bulk ESS of an event's latents is close to its 50 draws.
        #expect(
            report.medianEffectiveSampleSize > 30 && report.medianEffectiveSampleSize < 80,
            "\(report.medianEffectiveSampleSize)")
        for (label, variable) in report.variables {
            #expect(variable.events == 200 && variable.undefinedEvents == 0)
            for level in CalibrationReport.levels {
                let halfWidth = 4 * (level * (1 - level) / 200).squareRoot()
                #expect(abs(variable.coverage(level: level) - level) <= halfWidth, "\(label) \(level)")
            }
            #expect(try #require(variable.ksPValue) >= 0.001, "\(label)")
        }
        #expect(!report.isMiscalibrated)
    }

    @Test("Guided RMH (--network) calibrates through the same run; a network of another model is one line")
    func guidedRMH() throws {
        let directory = try Executables.temporaryDirectory("calibrate-guided")
        defer { try? FileManager.default.removeItem(at: directory) }
        let network = directory.appendingPathComponent("gum.lumisnet").path
        try GUMRuns.trainNetwork(to: network, seed: 52)
        let out = directory.appendingPathComponent("calibration.json").path
        let arguments = [
            "calibrate", "--engine", "rmh", "--network", network, "--network-move-probability", "0.5", "--chains", "2",
            "--burn-in", "20", "--traces", "40", "--thin", "4", "--events", "10", "--seed", "53", "--out", out,
            "--no-progress",
        ]
        let outcome = try Self.lumis(arguments + ["--launch", try GUMRuns.launch()])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let report = try CalibrationReport(contentsOfFile: out)
        #expect(report.events == 10 && report.engine == "rmh" && report.variables["mu"]?.undefinedEvents == 0)
        // The guided kernel and the network, identified as in a guided posterior file.
        let trained = try NetworkFile.readNetworkIdentified(from: network)
        let record = MCMCSummary.NetworkRecord(
            file: "gum.lumisnet", model: "Gaussian with unknown mean", tracesSeen: trained.tracesSeen,
            checksum: String(format: "%016llx", trained.checksum))
        #expect(
            report.settings
                == CalibrationReport.Settings(
                    chains: 2, burnIn: 20, thin: 4, stepSize: 1, networkMoveProbability: 0.5, network: record))
        let summary = try Self.lumis(["summary", out])
        #expect(
            summary.standardOutput.contains("network move probability: 0.5  network: \(record.description)"),
            "\(summary.standardOutput)")
        // Resumed with the same network under another name (the checksum identifies it), to 12 events: the file
        // of a 12-event run.
        let renamed = directory.appendingPathComponent("moved.lumisnet").path
        try FileManager.default.copyItem(atPath: network, toPath: renamed)
        let resumedPath = directory.appendingPathComponent("resumed.json").path
        // "10" is only the --events value in `arguments`.
        let twelveEvents = arguments.map { $0 == "10" ? "12" : $0 }
        let resumed = try Self.lumis(
            twelveEvents.map { $0 == network ? renamed : $0 == out ? resumedPath : $0 } + [
                "--resume", out, "--launch", try GUMRuns.launch(),
            ])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        let twelvePath = directory.appendingPathComponent("twelve.json").path
        let twelve = try Self.lumis(
            twelveEvents.map { $0 == out ? twelvePath : $0 } + ["--launch", try GUMRuns.launch()])
        #expect(twelve.status == 0, "\(twelve.standardError)")
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: resumedPath))
                == Data(contentsOf: URL(fileURLWithPath: twelvePath)))
        try FileManager.default.removeItem(atPath: out)
        let branching = "\(try Executables.simulator("branching")) {endpoint}"
        let mismatch = try Self.lumis(arguments + ["--launch", branching])
        #expect(mismatch.status == 1)
        let errors = Self.errorLines(mismatch.standardError)
        #expect(
            errors.count == 1
                && errors.first?.contains("the network was trained on model 'Gaussian with unknown mean'") == true,
            "\(mismatch.standardError)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("A network overfitted to 8 training traces is flagged: its IC posteriors are confidently wrong")
    func overfittedNetworkFlagged() throws {
        let directory = try Executables.temporaryDirectory("calibrate-ic")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data").path
        let network = directory.appendingPathComponent("over.lumisnet").path
        // 8 training traces seen 5,000 times each: the proposals memorise their mu values (measured: training loss
        // −0.74, validation loss 6.9), narrow and in the wrong place for a new observation. Measured with these
        // seeds: coverage 0.16 (50%) and 0.33 (90%), KS p 6e-14, far outside the bands of 100 events.
        let dataset = try Self.lumis([
            "dataset", "--launch", try GUMRuns.launch(), "--traces", "12", "--shard-traces", "12", "--seed", "42",
            "--out",
            data, "--no-progress",
        ])
        #expect(dataset.status == 0, "\(dataset.standardError)")
        let training = try Self.lumis([
            "train", "--dataset", data, "--traces", "40000", "--batch-size", "8", "--lstm-hidden", "32",
            "--learning-rate", "0.01", "--validation-traces", "4", "--seed", "43", "--out", network, "--no-progress",
        ])
        #expect(training.status == 0, "\(training.standardError)")
        let out = directory.appendingPathComponent("calibration.json").path
        let outcome = try Self.lumis([
            "calibrate", "--launch", try GUMRuns.launch(), "--engine", "ic", "--network", network, "--events", "100",
            "--traces", "20", "--seed", "44", "--out", out, "--no-progress", "--strict",
        ])
        // --strict: a flagged latent is exit status 2, with the file written all the same.
        #expect(outcome.status == 2, "\(outcome.standardError)")
        #expect(outcome.standardError.contains("MISCALIBRATED"), "\(outcome.standardError)")
        let report = try CalibrationReport(contentsOfFile: out)
        let mu = try #require(report.variables["mu"])
        #expect(report.engine == "ic" && !mu.flags.isEmpty, "\(mu.flags)")
        #expect(report.settings.network?.file == "over.lumisnet" && report.settings.network?.tracesSeen == 40000)
        #expect(report.settings.chains == nil && report.settings.networkMoveProbability == nil)
        // Overconfident: the 90% intervals hold the truth far less often than 90%.
        #expect(mu.coverage(level: 0.9) < mu.coverageBand(level: 0.9).lowerBound, "\(mu.flags)")
        let summary = try Self.lumis(["summary", out])
        #expect(summary.standardOutput.contains("MISCALIBRATED: 2 of 2 latents flagged"), "\(summary.standardOutput)")
    }

    @Test(
        "SIGTERM keeps the finished events in a file marked incomplete; --resume runs the rest and equals an uninterrupted run"
    )
    func interruptAndResume() throws {
        let directory = try Executables.temporaryDirectory("calibrate-resume")
        defer { try? FileManager.default.removeItem(at: directory) }
        let partial = directory.appendingPathComponent("partial.json").path
        let errorPath = directory.appendingPathComponent("stderr.txt").path
        let options = ["--launch", try GUMRuns.launch(), "--traces", "30", "--seed", "49"]
        // 3,000 events take about a minute: SIGTERM once the progress line shows finished events.
        let pid = try EndToEndTests.spawn(
            try Executables.lumis(),
            ["calibrate"] + options + ["--events", "3000", "--out", partial, "--progress-every", "0.1"],
            errorPath: errorPath)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        var started = false
        let finishedEvents = try Regex(" [1-9][0-9]*/3000 events")
        while !started && clock.now < deadline {
            let text = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
            started = text.contains(finishedEvents)
            if !started { usleep(20_000) }
        }
        #expect(started, "no progress line with finished events")
        kill(pid, SIGTERM)
        let status = EndToEndTests.wait(for: pid, limit: .seconds(30))
        let standardError = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        #expect(status.map { ($0 >> 8) & 0xff } == 143, "\(standardError)")
        #expect(standardError.contains("continue with --resume \(partial)"), "\(standardError)")
        var report = try CalibrationReport(contentsOfFile: partial)
        #expect(report.requestedEvents == 3000 && report.events > 0 && report.events < 3000)
        let summary = try Self.lumis(["summary", partial])
        #expect(summary.standardOutput.hasPrefix("INCOMPLETE: the run was interrupted after \(report.events) of 3000"))

        // The finished events are the file a run of that many events writes.
        let finished = report.events
        let fresh = directory.appendingPathComponent("fresh.json").path
        let short = try Self.lumis(
            ["calibrate"] + options + ["--events", "\(finished)", "--out", fresh, "--no-progress"])
        #expect(short.status == 0, "\(short.standardError)")
        report.requestedEvents = nil
        #expect(try CalibrationReport(contentsOfFile: fresh) == report)

        // Resumed (here to 40 more events, so that the test stays short) it equals an uninterrupted run, byte for
        // byte; the seed comes from the file.
        let total = "\(finished + 40)"
        let resumed = directory.appendingPathComponent("resumed.json").path
        let continued = try Self.lumis([
            "calibrate", "--launch", try GUMRuns.launch(), "--traces", "30", "--events", total, "--resume", partial,
            "--out",
            resumed, "--no-progress",
        ])
        #expect(continued.status == 0, "\(continued.standardError)")
        let whole = directory.appendingPathComponent("whole.json").path
        let uninterrupted = try Self.lumis(
            ["calibrate"] + options + ["--events", total, "--out", whole, "--no-progress"])
        #expect(uninterrupted.status == 0, "\(uninterrupted.standardError)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: resumed)) == Data(contentsOf: URL(fileURLWithPath: whole)))

        // Other options than the file's, or fewer events than it holds, are refused in one line, before any
        // simulator starts; no file.
        let fewer = "\(finished + 39)"
        for (extra, named, file) in [
            (["--traces", "31"], "it ran with --traces 30", partial),
            (["--engine", "prior"], "it ran with --engine is", partial),
            (["--events", fewer], "it holds \(total) events, more than --events \(fewer)", resumed),
        ] {
            let refused = directory.appendingPathComponent("refused.json").path
            var arguments = ["calibrate", "--launch", try GUMRuns.launch(), "--traces", "30", "--events", total]
            arguments += extra + ["--resume", file, "--out", refused]
            let outcome = try Self.lumis(arguments)
            let errors = Self.errorLines(outcome.standardError)
            #expect(
                outcome.status == 64 && errors.count == 1 && errors.first?.contains(named) == true,
                "\(outcome.standardError)")
            #expect(!FileManager.default.fileExists(atPath: refused))
        }
    }

    @Test("The file does not depend on --workers")
    func workersInvariant() throws {
        let directory = try Executables.temporaryDirectory("calibrate-workers")
        defer { try? FileManager.default.removeItem(at: directory) }
        var files: [Data] = []
        for workers in ["1", "3"] {
            let out = directory.appendingPathComponent("w\(workers).json").path
            let outcome = try Self.lumis([
                "calibrate", "--launch", try GUMRuns.launch(), "--events", "23", "--traces", "30", "--workers", workers,
                "--seed", "45", "--out", out, "--no-progress",
            ])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            files.append(try Data(contentsOf: URL(fileURLWithPath: out)))
        }
        #expect(files[0] == files[1])
    }

    @Test(
        "Bad input: one error line, non-zero exit, no file",
        arguments: [
            (["--engine", "ic"], "--engine ic needs --network"),
            (["--network", "/tmp/x.lumisnet"], "--network applies to --engine ic"),
            (["--chains", "2"], "apply to --engine lmh or rmh"),
            (["--resume", "/nonexistent-lumis/c.json"], "--resume calibration file '/nonexistent-lumis/c.json'"),
            (["--engine", "rmh", "--network-move-probability", "0.5"], "--network-move-probability applies"),
            (["--engine", "ic", "--network", "/nonexistent/net.lumisnet"], "--network"),
            (["--events", "0"], "--events"),
            (["--traces", "-3"], "--traces"),
        ])
    func badInput(extra: [String], message: String) throws {
        let directory = try Executables.temporaryDirectory("calibrate-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("c.json").path
        var arguments = ["calibrate", "--launch", try GUMRuns.launch(), "--events", "5", "--traces", "5", "--out", out]
        arguments += extra
        let outcome = try Self.lumis(arguments)
        #expect(outcome.status != 0)
        let errors = Self.errorLines(outcome.standardError)
        #expect(errors.count == 1 && errors.first?.contains(message) == true, "\(outcome.standardError)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("An unwritable --out is refused before any simulator starts")
    func unwritableOutput() throws {
        let outcome = try Self.lumis([
            "calibrate", "--launch", try GUMRuns.launch(), "--events", "5", "--traces", "5", "--out",
            "/nonexistent-lumis/c.json",
        ])
        #expect(outcome.status != 0)
        let errors = Self.errorLines(outcome.standardError)
        #expect(errors.count == 1 && errors.first?.contains("/nonexistent-lumis") == true, "\(outcome.standardError)")
    }
}
