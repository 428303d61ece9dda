import Foundation
import LumisDistributed
import LumisTestSupport
import Testing

@Suite("lumis train's default threads", .timeLimit(.minutes(2)))
struct TrainThreadsCommandTests {
    /// The "with N network thread(s)" of `lumis train`'s closing note.
    static func threads(in standardError: String) -> Int? {
        guard let range = standardError.range(of: " network thread") else { return nil }
        return standardError[..<range.lowerBound].split(separator: " ").last.flatMap { Int($0) }
    }

    @Test("Without --threads or OPENBLAS_NUM_THREADS, launched simulators keep a core each; --threads wins")
    func launchedSimulatorsKeepTheirCores() throws {
        let directory = try Executables.temporaryDirectory("train-threads")
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = { (extra: [String]) in
            try Executables.run(
                try Executables.lumis(),
                [
                    "train", "--launch", "\(try Executables.simulator("gum")) {endpoint}", "--batch-size", "16",
                    "--traces", "32", "--lstm-hidden", "8", "--embedding-dim", "4", "--validation-traces", "16",
                    "--seed", "3", "--no-progress", "--out", directory.appendingPathComponent("n.lumisnet").path,
                ] + extra,
                // Empty: unset for Lumis's rule (OpenBLAS itself ignores an empty value).
                environment: ["OPENBLAS_NUM_THREADS": ""])
        }
        let cores = Communicator.usableCores
        let two = try run(["--workers", "2"])
        #expect(two.status == 0, "\(two.standardError)")
        #expect(Self.threads(in: two.standardError) == max(1, cores - 2), "\(two.standardError)")
        let one = try run(["--workers", "1"])
        #expect(Self.threads(in: one.standardError) == max(1, cores - 1), "\(one.standardError)")
        let given = try run(["--workers", "1", "--threads", "3"])
        #expect(Self.threads(in: given.standardError) == 3, "\(given.standardError)")
    }
}
