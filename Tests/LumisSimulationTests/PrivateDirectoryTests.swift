import Foundation
import LumisSimulation
import Testing

@Suite("Private endpoint directories")
struct PrivateDirectoryTests {
    @Test("The sweep removes dead runs' directories and nothing else")
    func removeStale() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sweep-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        ).path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: base) }
        // A pid that has just exited and been reaped is free (reuse within this test is vanishingly unlikely).
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let dead = finished.processIdentifier
        let names = [
            "lumis-\(dead)-abc123",  // stale: removed
            "lumis-\(getppid())-abc123",  // a live process's: kept
            "lumis-\(getpid())-abc123",  // ours: kept
            "lumis-\(dead)-abc1234",  // not our pattern: kept
            "lumis-run-\(dead)-abc123",  // not our pattern: kept
        ]
        for name in names {
            try FileManager.default.createDirectory(atPath: base + "/" + name, withIntermediateDirectories: false)
        }
        _ = FileManager.default.createFile(atPath: base + "/lumis-\(dead)-file01", contents: Data())  // a file: kept
        PrivateDirectory.removeStale(in: base)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: base))
        #expect(left == Set(names.dropFirst()).union(["lumis-\(dead)-file01"]))
    }
}
