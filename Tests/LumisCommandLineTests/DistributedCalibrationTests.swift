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
    }
}
