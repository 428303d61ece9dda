import Foundation
import LumisDatasets
import LumisTestSupport
import Testing

/// Damaged or mismatched datasets give one clear line naming the file (and offset), never a crash.
@Suite("Dataset corruption", .serialized, .timeLimit(.minutes(2)))
struct CorruptionTests {
    enum Damage: String, CaseIterable, Sendable {
        case truncatedShard, flippedRecordByte, flippedTablesByte, flippedHeaderByte, garbageIndex, futureManifest,
            futureShard, missingShard, missingManifest, truncatedIndexSizes, duplicateShardDiffers
    }

    /// Where the error must point, and how: at open, or when reading traces.
    static func apply(_ damage: Damage, to directory: URL) throws -> (file: String, mentions: [String], atRead: Bool) {
        let shard = directory.appendingPathComponent("shard-000001.lumisds")
        func modify(_ url: URL, _ change: (inout Data) -> Void) throws {
            var data = try Data(contentsOf: url)
            change(&data)
            try data.write(to: url)
        }
        let index = directory.appendingPathComponent("index-rank00000.json")
        switch damage {
        case .truncatedShard:
            try modify(shard) { $0.removeLast(10) }
            return ("shard-000001.lumisds", ["truncated", "offset"], false)
        case .flippedRecordByte:
            try modify(shard) { $0[60] ^= 0x40 }
            return ("shard-000001.lumisds", ["offset 48", "checksum mismatch", "trace 20"], true)
        case .flippedTablesByte:
            try modify(shard) { $0[$0.count - 40] ^= 0x01 }
            return ("shard-000001.lumisds", ["tables checksum mismatch"], true)
        case .flippedHeaderByte:
            try modify(shard) { $0[20] ^= 0x01 }
            return ("shard-000001.lumisds", ["header checksum mismatch"], true)
        case .garbageIndex:
            try Data("{\"format\": \"lumis-dataset-index\", \"vers".utf8).write(to: index)
            return ("index-rank00000.json", ["invalid JSON"], false)
        case .futureManifest:
            let url = directory.appendingPathComponent("manifest.json")
            try modify(url) { data in
                data = Data(
                    String(decoding: data, as: UTF8.self).replacing("\"version\" : 1", with: "\"version\" : 7").utf8)
            }
            return ("manifest.json", ["version 7", "newer lumis"], false)
        case .futureShard:
            try modify(shard) { data in
                data[8] = 2
                var crc = CRC32()
                crc.update(data[0..<40])
                withUnsafeBytes(of: crc.value.littleEndian) { for i in 0..<4 { data[40 + i] = $0[i] } }
            }
            return ("shard-000001.lumisds", ["version 2", "newer lumis"], true)
        case .missingShard:
            try FileManager.default.removeItem(at: shard)
            return ("shard-000001.lumisds", ["missing"], false)
        case .missingManifest:
            try FileManager.default.removeItem(at: directory.appendingPathComponent("manifest.json"))
            return ("manifest.json", ["missing"], false)
        case .truncatedIndexSizes:
            try modify(index) { data in
                let text = String(decoding: data, as: UTF8.self)
                data = Data(text.replacing(#/"record_sizes" : "[A-Za-z0-9+/=]{8}/#, with: "\"record_sizes\" : \"").utf8)
            }
            return ("index-rank00000.json", ["record_sizes"], false)
        case .duplicateShardDiffers:
            var text = try String(contentsOf: index, encoding: .utf8)
            text = text.replacing("\"rank\" : 0", with: "\"rank\" : 1")
            text = text.replacing(#/"crc32" : \d+/#, with: "\"crc32\" : 1")
            try text.write(
                to: directory.appendingPathComponent("index-rank00001.json"), atomically: true, encoding: .utf8)
            return ("index-rank0000", ["listed, differently"], false)
        }
    }

    @Test("Each damage is a one-line DatasetError naming the file", arguments: Damage.allCases)
    func damaged(_ damage: Damage) throws {
        let directory = try Fixtures.assorted(traces: 50, shardTraces: 20, keepsLikelihoods: false, label: "ds-corrupt")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (file, mentions, atRead) = try Self.apply(damage, to: directory)
        let error: DatasetError?
        if atRead {
            let reader = try DatasetReader(directory: directory.path)
            #expect(try reader.traces(in: 0..<20).count == 20)  // the undamaged shard reads fine
            error = #expect(throws: DatasetError.self) { try reader.traces(in: 15..<45) }
        } else {
            error = #expect(throws: DatasetError.self) { try DatasetReader(directory: directory.path) }
        }
        let text = try #require(error).description
        #expect(!text.contains("\n"))
        #expect(text.contains(file), "\(text)")
        for mention in mentions { #expect(text.contains(mention), "\(text)") }
    }

    @Test("A flipped byte anywhere in a shard is caught by verifyChecksums")
    func verify() throws {
        let directory = try Fixtures.assorted(traces: 50, shardTraces: 20, keepsLikelihoods: false, label: "ds-verify")
        defer { try? FileManager.default.removeItem(at: directory) }
        try DatasetReader(directory: directory.path).verifyChecksums()
        let url = directory.appendingPathComponent("shard-000002.lumisds")
        var data = try Data(contentsOf: url)
        data[data.count / 2] ^= 0x10
        try data.write(to: url)
        let error = #expect(throws: DatasetError.self) {
            try DatasetReader(directory: directory.path).verifyChecksums()
        }
        #expect(error?.description.contains("shard-000002.lumisds") == true)
    }

    @Test("Writing: a mismatched resume, a dataset without --resume and a foreign directory are refused")
    func writerRefusals() throws {
        let directory = try Fixtures.assorted(traces: 50, shardTraces: 20, keepsLikelihoods: false, label: "ds-refuse")
        defer { try? FileManager.default.removeItem(at: directory) }
        let before = try Fixtures.files(directory)
        func attempt(_ configuration: DatasetWriter.Configuration, resume: Bool, at path: String? = nil) -> String {
            let writer = DatasetWriter(directory: path ?? directory.path, configuration: configuration, resume: resume)
            let error = #expect(throws: DatasetError.self) { _ = try writer.write(workers: 1) { _ in Assorted() } }
            return error?.description ?? ""
        }
        let seed = attempt(.init(traceCount: 50, seed: 6, shardTraces: 20, observations: Fixtures.fixed), resume: true)
        #expect(seed.contains("manifest.json") && seed.contains("seed 5, not 6"), "\(seed)")
        let size = attempt(.init(traceCount: 50, seed: 5, shardTraces: 25, observations: Fixtures.fixed), resume: true)
        #expect(size.contains("20 traces per shard, not 25"), "\(size)")
        let count = attempt(.init(traceCount: 60, seed: 5, shardTraces: 20, observations: Fixtures.fixed), resume: true)
        #expect(count.contains("50 traces, not 60"), "\(count)")
        let likelihoods = attempt(
            .init(traceCount: 50, seed: 5, shardTraces: 20, observations: Fixtures.fixed, keepsLikelihoods: true),
            resume: true)
        #expect(
            likelihoods.contains("observe likelihoods left out (no --keep-likelihoods), not kept"), "\(likelihoods)")
        let fresh = attempt(
            .init(traceCount: 50, seed: 5, shardTraces: 20, observations: Fixtures.fixed), resume: false)
        #expect(fresh.contains("already holds a dataset") && fresh.contains("--resume"), "\(fresh)")
        #expect(try Fixtures.files(directory) == before)

        let foreign = try Executables.temporaryDirectory("ds-foreign")
        defer { try? FileManager.default.removeItem(at: foreign) }
        try Data("x".utf8).write(to: foreign.appendingPathComponent("notes.txt"))
        let other = attempt(.init(traceCount: 5, seed: 1, shardTraces: 2), resume: false, at: foreign.path)
        #expect(other.contains("not empty") && other.contains("notes.txt"), "\(other)")
    }
}
