import Foundation
import LumisCore
import LumisDatasets
import LumisTestSupport
import Testing

/// A dataset's shard bytes depend only on the simulator, seed, trace count and shard size.
@Suite("Dataset determinism", .serialized, .timeLimit(.minutes(2)))
struct DeterminismTests {
    static let configuration = DatasetWriter.Configuration(
        traceCount: 230, seed: 77, shardTraces: 40, observations: Fixtures.fixed)

    static func write(
        _ directory: URL, rank: Int = 0, rankCount: Int = 1, workers: Int = 1, resume: Bool = false
    ) throws -> DatasetWriter.Report {
        try DatasetWriter(
            directory: directory.path, configuration: configuration, rank: rank, rankCount: rankCount, resume: resume
        ).write(workers: workers) { _ in Assorted() }
    }

    @Test("Workers 1 and 3, and ranks 1 and 2 (rank 0 then rank 1 into one directory), give identical shards")
    func workersAndRanks() throws {
        let single = try Executables.temporaryDirectory("ds-single")
        let workers = try Executables.temporaryDirectory("ds-workers")
        let ranks = try Executables.temporaryDirectory("ds-ranks")
        defer { for url in [single, workers, ranks] { try? FileManager.default.removeItem(at: url) } }
        _ = try Self.write(single)
        _ = try Self.write(workers, workers: 3)
        let first = try Self.write(ranks, rank: 0, rankCount: 2, workers: 2)
        // Before rank 1 runs the dataset is readable but incomplete: shards 0, 2, 4.
        let partial = try DatasetReader(directory: ranks.path)
        #expect(!partial.isComplete && partial.shards.map(\.index) == [0, 2, 4] && partial.traceCount == 120)
        let second = try Self.write(ranks, rank: 1, rankCount: 2)
        #expect(first.shardsWritten == 3 && second.shardsWritten == 3)
        let expected = try Fixtures.shards(single)
        #expect(expected.count == 6)
        #expect(try Fixtures.shards(workers) == expected)
        #expect(try Fixtures.shards(ranks) == expected)
        #expect(Set(try Fixtures.files(ranks).keys).isSuperset(of: ["index-rank00000.json", "index-rank00001.json"]))
        let merged = try DatasetReader(directory: ranks.path)
        let reference = try DatasetReader(directory: single.path)
        #expect(merged.isComplete && merged.traceCount == 230 && merged.shards == reference.shards)
        #expect(merged.traceTypes == reference.traceTypes)
    }

    @Test("Resuming with another rank count writes exactly the missing shards")
    func resumeWithOtherRankCount() throws {
        let single = try Executables.temporaryDirectory("ds-single")
        let mixed = try Executables.temporaryDirectory("ds-mixed")
        defer { for url in [single, mixed] { try? FileManager.default.removeItem(at: url) } }
        _ = try Self.write(single)
        // Three ranks of which only 0 and 2 ran (shards 0, 3, 2, 5), then two ranks finish the job.
        _ = try Self.write(mixed, rank: 0, rankCount: 3)
        _ = try Self.write(mixed, rank: 2, rankCount: 3)
        let zero = try Self.write(mixed, rank: 0, rankCount: 2, resume: true)
        let one = try Self.write(mixed, rank: 1, rankCount: 2, resume: true)
        #expect(zero.shardsWritten == 1 && zero.shardsSkipped == 2)  // shard 4; 0 and 2 were done
        #expect(one.shardsWritten == 1 && one.shardsSkipped == 2)  // shard 1; 3 and 5 were done
        #expect(try Fixtures.shards(mixed) == (try Fixtures.shards(single)))
        let reader = try DatasetReader(directory: mixed.path)
        #expect(reader.isComplete && reader.traceCount == 230)
        let again = try Self.write(mixed, resume: true)
        #expect(again.shardsWritten == 0 && again.shardsSkipped == 6)
    }
}
