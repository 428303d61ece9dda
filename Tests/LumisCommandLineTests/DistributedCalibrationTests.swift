import Foundation
import LumisInference
import LumisTestSupport
import Testing

extension DistributedInferenceTests {
    @Test("lumis calibrate: events split over 2 and 3 ranks give the single-process file byte for byte")
    func calibration() throws {
        let directory = try Executables.temporaryDirectory("mpi-calibrate")
        defer { try? FileManager.default.removeItem(at: directory) }
        let arguments = [
            "calibrate", "--launch", try Self.launch("gum"), "--events", "41", "--traces", "30", "--seed", "46",
            "--no-progress",
        ]
        let single = directory.appendingPathComponent("single.json").path
        let one = try Self.lumis(arguments + ["--out", single])
        #expect(one.status == 0, "\(one.standardError)")
        let singleBytes = try Data(contentsOf: URL(fileURLWithPath: single))
        for ranks in [2, 3] {
            let split = directory.appendingPathComponent("split\(ranks).json").path
            let many = try Self.lumis(arguments + ["--out", split], ranks: ranks)
            #expect(many.status == 0, "\(many.standardError)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: split)) == singleBytes, "\(ranks) ranks")
        }
        #expect(try CalibrationReport(contentsOfFile: single).events == 41)

        // --resume under 2 ranks: 20 events extended to 41, the remaining 21 split over the ranks.
        let first = directory.appendingPathComponent("first20.json").path
        let firstArguments = arguments.map { $0 == "41" ? "20" : $0 }  // "41" is only the --events value
        let twenty = try Self.lumis(firstArguments + ["--out", first])
        #expect(twenty.status == 0, "\(twenty.standardError)")
        let extended = directory.appendingPathComponent("extended.json").path
        let resumed = try Self.lumis(arguments + ["--resume", first, "--out", extended], ranks: 2)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: extended)) == singleBytes, "resumed on 2 ranks")
    }
}

extension DistributedInferenceTests {
    @Test(
        "lumis calibrate --engine rmh: 2 ranks, and attached --simulator endpoints (one process or 2 ranks), give the launched single-process file byte for byte"
    )
    func mcmcCalibration() throws {
        let directory = try Executables.temporaryDirectory("mpi-calibrate-rmh")
        defer { try? FileManager.default.removeItem(at: directory) }
        let arguments = [
            "calibrate", "--engine", "rmh", "--chains", "2", "--burn-in", "10", "--traces", "20", "--thin", "2",
            "--events", "7", "--seed", "48", "--no-progress",
        ]
        let single = directory.appendingPathComponent("single.json").path
        let one = try Self.lumis(arguments + ["--launch", try Self.launch("gum"), "--out", single])
        #expect(one.status == 0, "\(one.standardError)")
        let singleBytes = try Data(contentsOf: URL(fileURLWithPath: single))
        let report = try CalibrationReport(contentsOfFile: single)
        #expect(report.events == 7 && report.settings.chains == 2 && report.variables["mu"]?.events == 7)

        let split = directory.appendingPathComponent("split.json").path
        let many = try Self.lumis(arguments + ["--launch", try Self.launch("gum"), "--out", split], ranks: 2)
        #expect(many.status == 0, "\(many.standardError)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: split)) == singleBytes, "2 ranks, --launch")

        // Four attached simulators: 2 workers of 2 chains in one process, 1 worker per rank under 2 ranks.
        let simulators = try (0..<4).map { _ in try Executables.AttachedSimulator("gum") }
        defer { simulators.forEach { $0.stop() } }
        let attached = simulators.flatMap { ["--simulator", $0.endpoint] }
        for ranks in [nil, 2] {
            let out = directory.appendingPathComponent("attached-\(ranks ?? 1).json").path
            let outcome = try Self.lumis(arguments + attached + ["--out", out], ranks: ranks)
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: out)) == singleBytes, "--simulator, \(ranks ?? 1) ranks")
        }
        // Three endpoints do not make whole workers of 2 chains: one line, no file.
        let odd = directory.appendingPathComponent("odd.json").path
        let refused = try Self.lumis(arguments + Array(attached.prefix(6)) + ["--out", odd])
        #expect(
            refused.status != 0 && refused.standardError.contains("give a multiple of 2"), "\(refused.standardError)")
        #expect(!FileManager.default.fileExists(atPath: odd))
    }
}
