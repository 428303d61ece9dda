import Foundation
import LumisTestSupport
import Testing

/// One seed rule for every engine: without `--seed` a random seed is drawn, printed on stderr with the results,
/// and repeating the run with it gives the same posterior file; with `--seed` nothing is printed.
@Suite("lumis infer seed rule", .serialized, .timeLimit(.minutes(3)))
struct SeedTests {
    static let observations = GUMRuns.observations

    @Test("prior, is, lmh, rmh and ic print a random seed that repeats the run")
    func everyEngine() throws {
        let directory = try Executables.temporaryDirectory("seeds")
        defer { try? FileManager.default.removeItem(at: directory) }
        let lumis = try Executables.lumis()
        let launch = try GUMRuns.launch()
        let network = directory.appendingPathComponent("gum.lumisnet").path
        try GUMRuns.trainNetwork(to: network)
        for (engine, arguments) in GUMRuns.engines(network: network) {
            let first = directory.appendingPathComponent("\(engine)-1.json").path
            let base = ["infer", "--launch", launch, "--traces", "50", "--no-progress"] + arguments + Self.observations
            let random = try Executables.run(lumis, base + ["--out", first])
            try #require(random.status == 0, "\(engine): \(random.standardError)")
            let seedLine = try #require(
                random.standardError.split(separator: "\n").first { $0.hasPrefix("seed ") }, "\(engine): no seed line")
            let seed = try #require(seedLine.split(separator: " ").dropFirst().first.flatMap { UInt64($0) })
            let second = directory.appendingPathComponent("\(engine)-2.json").path
            let repeated = try Executables.run(lumis, base + ["--out", second, "--seed", String(seed)])
            try #require(repeated.status == 0, "\(engine): \(repeated.standardError)")
            #expect(!repeated.standardError.contains("seed "), "\(engine): \(repeated.standardError)")
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: first)) == Data(contentsOf: URL(fileURLWithPath: second)),
                "\(engine): --seed \(seed) did not repeat the run")
        }
    }
}
