import Foundation
import LumisCore
import LumisInference
import LumisTensor
import Testing

@Suite struct PosteriorFileTests {
    static func makeDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lumis-posterior-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static let metadata = PosteriorMetadata(
        engine: "is", seed: 18_446_744_073_709_551_615, model: "gaussian \"unknown\" mean",
        observations: ["obs0": Tensor(8), "obs1": Tensor(shape: [1, 2], scalars: [9, 1e-5])], failedTraces: 2,
        restarts: 1)

    /// A summary with scalar, tensor, unnamed and missing variables.
    static func summary() -> PosteriorSummary {
        var store = TraceStore()
        for (index, trace) in TraceStoreTests.variedTraces().enumerated() where index != 4 && index != 8 {
            store.append(trace)
        }
        return Posterior(store: store).summary(metadata: metadata)
    }

    @Test func writesDeterministicBytes() throws {
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = "\(directory)/a.json"
        let second = "\(directory)/b.json"
        try Self.summary().write(toFile: first)
        try Self.summary().write(toFile: second)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: first))
        #expect(bytes == (try Data(contentsOf: URL(fileURLWithPath: second))))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("{\"addresses\":{\"anon__1\":{"))
        #expect(text.contains("\"format\":\"lumis-posterior\"") && text.contains("\"version\":1"))
        #expect(text.contains("\"seed\":18446744073709551615"))
        #expect(text.contains("\"obs1\":{\"shape\":[1,2],\"values\":[9.0,1e-05]}"))
        #expect(text.hasSuffix("}\n"))
        // Other tools can read it.
        let object = try JSONSerialization.jsonObject(with: bytes) as? [String: Any]
        #expect(object?["traces"] as? Int == 11)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["a.json", "b.json"])
    }

    @Test func roundTripsThroughTheReader() throws {
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/posterior.json"
        let summary = Self.summary()
        try summary.write(toFile: path)
        let read = try PosteriorSummary(contentsOfFile: path)
        // The unnamed `anon__2` is NaN (NaN ≠ NaN), so compare the rest field by field and the whole as text.
        #expect(read.jsonText() == summary.jsonText())
        #expect(read.variables == summary.variables && read.result == summary.result)
        #expect(read.addresses["anon__1"] == summary.addresses["anon__1"])
        #expect(read.addresses["anon__2"]?.mean[0].isNaN == true)
        #expect(read.variables["x"]?.shape == [1] && read.variables["x"]?.shapeMismatchCount == 6)
        #expect(read.variables["m"]?.shape == [2, 2])
        // Result shapes [1, 2] and [1, 3] tie at 3 traces each: the one seen first wins.
        #expect(read.result?.shape == [1, 2] && read.result?.missingCount == 4)
        #expect(read.metadata == Self.metadata)
        // Overwriting an existing file works and stays readable.
        try summary.write(toFile: path)
        #expect(try PosteriorSummary(contentsOfFile: path).jsonText() == summary.jsonText())
    }

    @Test func nonFiniteNumbersRoundTrip() throws {
        let posterior = Posterior(store: gaussianStore(values: [1, .infinity], logWeights: [0, 0]))
        let summary = posterior.summary(metadata: .init(engine: "is", seed: nil, model: "m"))
        let text = summary.jsonText()
        #expect(text.contains("\"mean\":\"inf\"") && text.contains("\"seed\":null"))
        let read = try PosteriorSummary(jsonText: Array(text.utf8), path: "memory")
        #expect(read.variables["mu"]?.mean == [.infinity])
        #expect(read.jsonText() == text)
    }

    @Test func unwritablePathThrowsAndLeavesNothing() throws {
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let blocker = "\(directory)/not-a-directory"
        _ = FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8))
        let badPath = "\(blocker)/posterior.json"
        let error = #expect(throws: PosteriorFileError.self) { try Self.summary().write(toFile: badPath) }
        #expect(error?.path == badPath)
        #expect(error?.description.contains(badPath) == true)
        // The rename fails when a directory is in the way: the temporary file must be removed.
        let occupied = "\(directory)/occupied"
        try FileManager.default.createDirectory(atPath: "\(occupied)/inner", withIntermediateDirectories: true)
        #expect(throws: PosteriorFileError.self) { try Self.summary().write(toFile: occupied) }
        let left = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(left == ["not-a-directory", "occupied"])
    }

    @Test(arguments: [
        ("{\"format\":\"lumis-posterior\",", "invalid JSON at byte"),
        ("[1,2]", "top level is not a JSON object"),
        ("{\"format\":\"other\"}", "not a Lumis posterior file"),
        ("{\"format\":\"lumis-posterior\",\"version\":2}", "unsupported format version 2"),
        ("{\"format\":\"lumis-posterior\",\"version\":1}", "missing key \"observations\""),
        ("{\"a\":1,\"a\":2}", "duplicate key"),
        ("\u{FF}", "invalid JSON at byte 0"),
    ])
    func corruptFilesAreReportedWithTheirPath(content: String, expected: String) throws {
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/corrupt.json"
        _ = FileManager.default.createFile(atPath: path, contents: Data(content.utf8))
        let error = #expect(throws: PosteriorFileError.self) { try PosteriorSummary(contentsOfFile: path) }
        #expect(error?.description.hasPrefix("posterior file '\(path)': ") == true)
        #expect(error?.reason.contains(expected) == true, "\(error?.reason ?? "")")
    }

    @Test func mistypedFieldNamesItsKeyPath() throws {
        var text = Self.summary().jsonText()
        text = text.replacingOccurrences(of: "\"stddev\":", with: "\"stddev\":true,\"ignored\":")
        let error = #expect(throws: PosteriorFileError.self) {
            try PosteriorSummary(jsonText: Array(text.utf8), path: "p.json")
        }
        #expect(error?.reason.contains("variables.m.stddev: expected an array") == true, "\(error?.reason ?? "")")
    }

    @Test func missingFileIsReported() {
        let error = #expect(throws: PosteriorFileError.self) {
            try PosteriorSummary(contentsOfFile: "/nonexistent/lumis/posterior.json")
        }
        #expect(
            error?.description
                == "posterior file '/nonexistent/lumis/posterior.json': cannot open: No such file or directory")
    }
}

@Suite struct SummaryTableTests {
    @Test func rendersAlignedTable() {
        let scalar = VariableStatistics(
            shape: [], count: 10, missingCount: 2, shapeMismatchCount: 0, mean: [3.14159265], stddev: [0.5],
            quantiles: [0.05: [2.25], 0.5: [3], 0.95: [-1e-7]])
        let vector = VariableStatistics(
            shape: [2, 2], count: 12, missingCount: 0, shapeMismatchCount: 0, mean: [1, 2, 3, 4], stddev: [0, 0, 0, 0],
            quantiles: [0.05: [1, 2, 3, 4]])
        let summary = PosteriorSummary(
            metadata: PosteriorMetadata(engine: "is", seed: 42, model: "gum", failedTraces: 1), weighting: .importance,
            traceCount: 12, nanWeightCount: 0, effectiveSampleSize: 7.25, logEvidence: -12.5,
            variables: ["mu": scalar, "matrix": vector], undefinedVariables: ["z"], result: scalar, addresses: [:])
        let expected = """
            model: gum
            engine: is  seed: 42  weighting: importance
            traces: 12  NaN weights: 0  failed: 1  restarts: 0
            ESS: 7.25
            log evidence: -12.5

            name            mean  stddev    5%  50%     95%
            matrix[0,0]        1       0     1    -       -
            matrix[0,1]        2       0     2    -       -
            matrix[1,0]        3       0     3    -       -
            mu           3.14159     0.5  2.25    3  -1e-07
            (result)     3.14159     0.5  2.25    3  -1e-07

            matrix: 1 more elements of shape [2, 2] not shown
            mu: from 10 traces; 2 traces lack it
            (result): from 10 traces; 2 traces lack it
            undefined (no trace holding them has positive weight): z

            """
        #expect(summary.renderTable(maxElementsPerVariable: 3) == expected)
    }

    @Test func rendersUndefinedPosterior() {
        let posterior = Posterior(store: gaussianStore(values: [1], logWeights: [-.infinity]))
        let text = posterior.summary(metadata: .init(engine: "is", seed: nil, model: "m")).renderTable()
        #expect(text.contains("ESS: undefined") && text.contains("log evidence: -inf"))
        #expect(text.contains("no variables with defined statistics"))
    }
}
