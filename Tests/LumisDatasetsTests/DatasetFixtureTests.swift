import Foundation
import LumisCore
import LumisDatasets
import LumisTestSupport
import Testing

/// A dataset written before the byte coder and JSON writer moved to LumisStorage.
///
/// `Fixtures.assorted(traces: 12, shardTraces: 5, keepsLikelihoods: true)` run on main at 2013fb8 (the
/// `DatasetWriter` that `lumis dataset` runs). Datasets from then must keep reading, and today's writer must still
/// produce them byte for byte.
@Suite("Dataset written by an earlier build", .serialized, .timeLimit(.minutes(2)))
struct DatasetFixtureTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/assorted-dataset-2013fb8")

    @Test("It reads back: every trace equals the same trace sampled now, bit for bit")
    func reads() throws {
        let reader = try DatasetReader(directory: Self.directory.path)
        #expect(reader.traceCount == 12 && reader.isComplete && reader.shards.count == 3)
        #expect(reader.manifest.model == "Assorted" && reader.manifest.observations == Fixtures.fixed.values)
        let reference = try Fixtures.referenceTraces(count: 12, seed: 5, observations: Fixtures.fixed) { _ in
            Assorted()
        }
        for (index, (read, expected)) in zip(try reader.traces(in: 0..<12), reference).enumerated() {
            expectIdentical(read, expected, "trace \(index)")
        }
    }

    @Test("Writing the same dataset today gives the same files, byte for byte (shards, manifest and index)")
    func sameBytes() throws {
        let fresh = try Fixtures.assorted(traces: 12, shardTraces: 5, keepsLikelihoods: true, label: "ds-fixture")
        defer { try? FileManager.default.removeItem(at: fresh) }
        let expected = try Fixtures.files(Self.directory)
        let written = try Fixtures.files(fresh)
        #expect(written.keys.sorted() == expected.keys.sorted())
        for (name, bytes) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(written[name] == bytes, "\(name) differs from the earlier build's")
        }
    }
}
