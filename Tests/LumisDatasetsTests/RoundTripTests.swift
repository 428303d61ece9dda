import Foundation
import LumisCore
import LumisDatasets
import LumisDistributions
import LumisInference
import LumisTensor
import LumisTestSupport
import Testing

/// Traces written with their likelihoods and read back agree in every field with the same traces sampled directly.
@Suite("Dataset round trip", .serialized, .timeLimit(.minutes(2)))
struct RoundTripTests {
    @Test("An in-process model with every kind of entry and value: every field comes back bit for bit")
    func inProcess() throws {
        let directory = try Fixtures.assorted(
            traces: 300, shardTraces: 70, workers: 2, keepsLikelihoods: true, label: "ds-roundtrip")
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = try Fixtures.referenceTraces(count: 300, seed: 5, observations: Fixtures.fixed) { _ in
            Assorted()
        }
        let reader = try DatasetReader(directory: directory.path)
        #expect(reader.traceCount == 300 && reader.isComplete && reader.shards.count == 5)
        #expect(reader.manifest.model == "Assorted" && reader.manifest.observations == Fixtures.fixed.values)
        let traces = try reader.traces(in: 0..<300)
        for (index, (read, expected)) in zip(traces, reference).enumerated() {
            expectIdentical(read, expected, "trace \(index)")
        }
        // Several trace types, counted exactly, with the first occurrence's distributions as representatives.
        var counts: [[String]: Int] = [:]
        var firsts: [[String]: Trace] = [:]
        for trace in reference {
            let key = trace.entries.map {
                "\($0.kind)|\($0.address)|\($0.instance)|\($0.distribution?.kind.name ?? "")"
            }
            counts[key, default: 0] += 1
            if firsts[key] == nil { firsts[key] = trace }
        }
        #expect(reader.traceTypes.count == counts.count && reader.traceTypes.count > 3)
        #expect(reader.traceTypes.reduce(0) { $0 + $1.count } == 300)
        for type in reader.traceTypes {
            let key = type.entries.map { "\($0.kind)|\($0.address)|\($0.instance)|\($0.distribution?.kind.name ?? "")" }
            #expect(counts[key] == type.count)
            let first = try #require(firsts[key])
            for (entry, original) in zip(type.entries, first.entries) {
                #expect(bits(entry.distribution) == bits(original.distribution), "\(entry.address)")
                #expect(entry.name == original.name && entry.isControlled == original.isControlled)
            }
        }
    }

    @Test("The C++ gum and branching simulators over a real socket", arguments: ["gum", "branching"])
    func remote(_ simulator: String) throws {
        let directory = try Executables.temporaryDirectory("ds-remote")
        defer { try? FileManager.default.removeItem(at: directory) }
        let makeSimulator = try Fixtures.launching(simulator)
        let writer = DatasetWriter(
            directory: directory.path,
            configuration: DatasetWriter.Configuration(
                traceCount: 120, seed: 9, shardTraces: 50, keepsLikelihoods: true),
            resume: false)
        let report = try writer.write(workers: 2, makeSimulator: makeSimulator)
        #expect(report.tracesWritten == 120 && report.shardsWritten == 3)
        let reference = try Fixtures.referenceTraces(count: 120, seed: 9, makeSimulator: makeSimulator)
        let reader = try DatasetReader(directory: directory.path)
        #expect(reader.manifest.model == report.model && !report.model.isEmpty)
        for (index, (read, expected)) in zip(try reader.traces(in: 0..<120), reference).enumerated() {
            expectIdentical(read, expected, "\(simulator) trace \(index)")
        }
        try reader.verifyChecksums()
    }

    @Test("A range across shard boundaries, chunked iteration, and only the shards read are touched")
    func ranges() throws {
        let directory = try Fixtures.assorted(traces: 100, shardTraces: 30, keepsLikelihoods: true, label: "ds-ranges")
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = try Fixtures.referenceTraces(count: 100, seed: 5, observations: Fixtures.fixed) { _ in
            Assorted()
        }
        let reader = try DatasetReader(directory: directory.path)
        for range in [25..<65, 0..<1, 99..<100, 30..<60, 40..<40] {
            let traces = try reader.traces(in: range)
            #expect(traces.count == range.count)
            for (read, index) in zip(traces, range) { expectIdentical(read, reference[index], "trace \(index)") }
        }
        var seen = 0
        try reader.forEachChunk(of: 7) { indices, traces in
            #expect(indices.lowerBound == seen && traces.count == indices.count)
            for (read, index) in zip(traces, indices) { expectIdentical(read, reference[index], "trace \(index)") }
            seen = indices.upperBound
        }
        #expect(seen == 100)
        let shuffled = [93, 4, 61, 4, 30, 29, 0, 99]
        for (read, index) in zip(try reader.traces(at: shuffled), shuffled) {
            expectIdentical(read, reference[index], "trace \(index)")
        }
        // Remove the last shard: the reader, already open, still reads the others, so it never touched it.
        try FileManager.default.removeItem(at: directory.appendingPathComponent("shard-000003.lumisds"))
        #expect(try reader.traces(in: 0..<90).count == 90)
        #expect(throws: DatasetError.self) { try reader.traces(in: 85..<95) }
    }
}
