import Foundation
import LumisCore
import LumisDatasets
import LumisDistributions
import LumisTensor
import LumisTestSupport
import Testing

/// Datasets leave out observe entries' distributions (likelihoods) unless asked to keep them.
@Suite("Dataset likelihoods", .serialized, .timeLimit(.minutes(2)))
struct LikelihoodTests {
    @Test("Without likelihoods every field comes back as simulated except observe distributions, which are absent")
    func leftOut() throws {
        let directory = try Fixtures.assorted(
            traces: 200, shardTraces: 70, workers: 2, keepsLikelihoods: false, label: "ds-no-likelihoods")
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = try Fixtures.referenceTraces(count: 200, seed: 5, observations: Fixtures.fixed) { _ in
            Assorted()
        }
        let reader = try DatasetReader(directory: directory.path)
        #expect(!reader.keepsLikelihoods && !reader.manifest.keepsLikelihoods && reader.traceCount == 200)
        let manifest = try String(contentsOf: directory.appendingPathComponent("manifest.json"), encoding: .utf8)
        #expect(manifest.contains("\"likelihoods\" : false"), "\(manifest)")
        for (index, (read, expected)) in zip(try reader.traces(in: 0..<200), reference).enumerated() {
            #expect(read.entries.filter { $0.kind == .observe }.count == 2)
            #expect(expected.entries.allSatisfy { $0.kind != .observe || $0.distribution != nil })
            expectIdentical(read, withoutLikelihoods(expected), "trace \(index)")
        }
        // Trace types: observes have no representative; samples keep their first occurrence's prior.
        var firsts: [[String]: Trace] = [:]
        for trace in reference {
            let key = trace.entries.map { "\($0.kind)|\($0.address)|\($0.instance)" }
            if firsts[key] == nil { firsts[key] = trace }
        }
        #expect(reader.traceTypes.count == firsts.count)
        for type in reader.traceTypes {
            let first = try #require(firsts[type.entries.map { "\($0.kind)|\($0.address)|\($0.instance)" }])
            for (entry, original) in zip(type.entries, first.entries) {
                let expected = entry.kind == .observe ? nil : original.distribution
                #expect(bits(entry.distribution) == bits(expected), "\(entry.address)")
            }
        }
    }

    @Test("A manifest without the field (older lumis) means likelihoods kept; resumes must match the choice")
    func olderManifestAndResume() throws {
        let directory = try Fixtures.assorted(
            traces: 60, shardTraces: 20, keepsLikelihoods: true, label: "ds-old-manifest")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("manifest.json")
        let manifest = try String(contentsOf: url, encoding: .utf8)
        #expect(manifest.contains("\"likelihoods\" : true,\n"), "\(manifest)")
        try manifest.replacingOccurrences(of: "  \"likelihoods\" : true,\n", with: "").write(
            to: url, atomically: true, encoding: .utf8)
        #expect(try !String(contentsOf: url, encoding: .utf8).contains("likelihoods"))
        let reader = try DatasetReader(directory: directory.path)
        #expect(reader.keepsLikelihoods)
        let reference = try Fixtures.referenceTraces(count: 60, seed: 5, observations: Fixtures.fixed) { _ in
            Assorted()
        }
        for (index, (read, expected)) in zip(try reader.traces(in: 0..<60), reference).enumerated() {
            expectIdentical(read, expected, "trace \(index)")
        }
        func resume(keepsLikelihoods: Bool) throws -> DatasetWriter.Report {
            try DatasetWriter(
                directory: directory.path,
                configuration: DatasetWriter.Configuration(
                    traceCount: 60, seed: 5, shardTraces: 20, observations: Fixtures.fixed,
                    keepsLikelihoods: keepsLikelihoods),
                resume: true
            ).write(workers: 1) { _ in Assorted() }
        }
        let error = #expect(throws: DatasetError.self) { try resume(keepsLikelihoods: false) }
        let text = error?.description ?? ""
        #expect(
            text.contains("manifest.json") && !text.contains("\n")
                && text.contains("observe likelihoods kept (--keep-likelihoods), not left out"), "\(text)")
        #expect(try resume(keepsLikelihoods: true).shardsSkipped == 3)
    }

    @Test("lumis dataset leaves likelihoods out by default; dataset-info says so; --resume refuses the other choice")
    func commandLine() throws {
        let lumis = try Executables.lumis()
        let directory = try Executables.temporaryDirectory("ds-cli-likelihoods")
        defer { try? FileManager.default.removeItem(at: directory) }
        let arguments = [
            "dataset", "--launch", try Executables.simulator("gum") + " {endpoint}", "--traces", "40",
            "--shard-traces", "20", "--seed", "2", "--no-progress", "--out", directory.path,
        ]
        let written = try Executables.run(lumis, arguments)
        #expect(written.status == 0, "\(written.standardError)")
        let reader = try DatasetReader(directory: directory.path)
        #expect(!reader.keepsLikelihoods)
        for trace in try reader.traces(in: 0..<40) {
            let observes = trace.entries.filter { $0.kind == .observe }
            #expect(observes.count == 2 && observes.allSatisfy { $0.distribution == nil && $0.logProb != 0 })
            #expect(trace.entries.allSatisfy { $0.kind != .sample || $0.distribution != nil })
        }
        let info = try Executables.run(lumis, ["dataset-info", directory.path])
        #expect(info.status == 0 && info.standardOutput.contains("likelihoods left out"), "\(info.standardOutput)")
        let refused = try Executables.run(lumis, arguments + ["--resume", "--keep-likelihoods"])
        let message = refused.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(refused.status != 0 && !message.contains("\n"), "\(refused.standardError)")
        #expect(
            message.contains("does not match this run")
                && message.contains("observe likelihoods left out (no --keep-likelihoods), not kept"), "\(message)")
        #expect(try Executables.run(lumis, arguments + ["--resume"]).status == 0)
    }

    /// The records' sizes in trace order, from a one-rank dataset's index (`record_sizes`: base64 varints).
    static func recordSizes(_ directory: URL) throws -> [Int] {
        let data = try Data(contentsOf: directory.appendingPathComponent("index-rank00000.json"))
        let index = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var sizes: [Int] = []
        for shard in try #require(index["shards"] as? [[String: Any]]) {
            let encoded = try #require(shard["record_sizes"] as? String)
            var value = 0
            var shift = 0
            for byte in try #require(Data(base64Encoded: encoded)) {
                value |= Int(byte & 0x7F) << shift
                shift += 7
                if byte < 0x80 {
                    sizes.append(value)
                    value = 0
                    shift = 0
                }
            }
        }
        return sizes
    }

    @Test("Calorimeter 6x10x10: without likelihoods each record loses exactly the noiseless image, 4805 bytes")
    func calorimeterSize() throws {
        let command = try Executables.simulator("calorimeter") + " {endpoint} --grid 6x10x10"
        let makeSimulator = try Fixtures.launching(command: command)
        var sizes: [Bool: [Int]] = [:]
        var shardBytes: [Bool: [Int]] = [:]
        var traces: [Bool: [Trace]] = [:]
        for keeps in [true, false] {
            let directory = try Executables.temporaryDirectory("ds-calo-\(keeps)")
            defer { try? FileManager.default.removeItem(at: directory) }
            _ = try DatasetWriter(
                directory: directory.path,
                configuration: DatasetWriter.Configuration(
                    traceCount: 40, seed: 12, shardTraces: 20, keepsLikelihoods: keeps),
                resume: false
            ).write(workers: 2, makeSimulator: makeSimulator)
            let reader = try DatasetReader(directory: directory.path)
            sizes[keeps] = try Self.recordSizes(directory)
            shardBytes[keeps] = reader.shards.map(\.byteCount)
            traces[keeps] = try reader.traces(in: 0..<40)
        }
        let with = try #require(sizes[true]), without = try #require(sizes[false])
        #expect(with.count == 40 && without.count == 40)
        // A record with likelihoods is R + value + mean, where the noisy value and the noiseless mean are both
        // 6x10x10 f64 tensors (tag 3): 1 tag + 1 rank + 3 dims + 600 × 8 = 4805 bytes, and the constant scalar
        // stddev is the site's interned representative (no bytes); without likelihoods it is R + value. So
        // without = (with + R) / 2 exactly: half the record plus half of R, the ~270 bytes of samples and weights.
        // A shard's first record is the observe site's representative: its value and mean are in the tables
        // (flags "same value", "representative parameter"), so that record is the same size either way and
        // the tables hold the mean (4805 bytes) plus the stddev (tag 0 + f64 = 9) and a table count per
        // parameter (2).
        let imageBytes = 1 + 1 + 3 + 6 * 10 * 10 * 8
        for index in 0..<40 {
            let expected = index % 20 == 0 ? 0 : imageBytes
            #expect(with[index] - without[index] == expected, "trace \(index): \(with[index]) vs \(without[index])")
        }
        let shardsWith = try #require(shardBytes[true]), shardsWithout = try #require(shardBytes[false])
        #expect(zip(shardsWith, shardsWithout).map { $0 - $1 } == [20 * imageBytes + 11, 20 * imageBytes + 11])
        let kept = try #require(traces[true]), dropped = try #require(traces[false])
        for (index, (a, b)) in zip(dropped, kept).enumerated() {
            #expect(b.entries.last?.distribution?.parameters[0].shape == [6, 10, 10])
            expectIdentical(a, withoutLikelihoods(b), "calorimeter trace \(index)")
        }
        let perTrace = (with: Double(shardsWith.reduce(0, +)) / 40, without: Double(shardsWithout.reduce(0, +)) / 40)
        print("calorimeter 6x10x10 shard bytes/trace: \(perTrace.with) with likelihoods, \(perTrace.without) without")
    }
}
