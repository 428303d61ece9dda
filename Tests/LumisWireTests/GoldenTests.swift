import Foundation
import LumisWire
import Testing

/// Locations of the golden files and of the C++ tool that wrote them.
enum GoldenFiles {
    /// The committed golden bytes named `name`, from the test bundle.
    static func bytes(named name: String) throws -> [UInt8] {
        let directory = try #require(Bundle.module.url(forResource: "Golden", withExtension: nil))
        return Array(try Data(contentsOf: directory.appendingPathComponent("\(name).bin")))
    }

    /// The repository root, three levels above this file.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `simulators/build/bin/ppx_golden`, built by `simulators/build.sh`.
    static let tool = repositoryRoot.appendingPathComponent("simulators/build/bin/ppx_golden")
}

/// C++ → Swift: the bytes flatc-generated C++ wrote decode to the expected values.
@Suite struct GoldenDecodingTests {
    @Test("Golden file decodes to its reference message", arguments: GoldenMessages.names)
    func decodesGolden(name: String) throws {
        let bytes = try GoldenFiles.bytes(named: name)
        #expect(try MessageDecoder.decode(bytes) == GoldenMessages.message(named: name))
    }

    @Test func identifierIsPresentOnlyWhereExpected() throws {
        let with = try GoldenFiles.bytes(named: "handshake_with_identifier")
        let without = try GoldenFiles.bytes(named: "handshake")
        #expect(with[4..<8] == Array("PPXF".utf8)[...])
        #expect(without[4..<8] != Array("PPXF".utf8)[...])
    }
}

/// Swift → C++: what the Swift encoder writes passes `ppx_golden check` (the FlatBuffers verifier plus a
/// semantic comparison, and PPX's rule that every Tensor carries both vectors).
@Suite struct GoldenEncodingTests {
    @Test("Swift encoding is accepted by the C++ reader", arguments: GoldenMessages.names)
    func cppAcceptsEncoding(name: String) throws {
        let tool = GoldenFiles.tool
        try #require(
            FileManager.default.isExecutableFile(atPath: tool.path),
            "\(tool.path) is missing: run `bash simulators/build.sh` in the repository root first"
        )
        var encoder = MessageEncoder(writesFileIdentifier: name == "handshake_with_identifier")
        let bytes = encoder.encode(GoldenMessages.message(named: name))
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("lumis-wire-\(name)-\(UUID().uuidString).bin")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let process = Process()
        process.executableURL = tool
        // ppx_golden knows the identified handshake as plain `handshake`; its verifier skips the identifier.
        process.arguments = ["check", name == "handshake_with_identifier" ? "handshake" : name, file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let message = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "ppx_golden check \(name): \(message)")
    }

    /// The dist_* files write `control = true` explicitly (to exercise readers); we omit the default, as the
    /// C++ peer's generated code does, so only the other files can match byte for byte.
    @Test(
        "Swift encoding equals the C++ bytes",
        arguments: GoldenMessages.names.filter { !$0.hasPrefix("dist_") }
    )
    func bytesMatchCpp(name: String) throws {
        var encoder = MessageEncoder(writesFileIdentifier: name == "handshake_with_identifier")
        #expect(encoder.encode(GoldenMessages.message(named: name)) == (try GoldenFiles.bytes(named: name)))
    }

    @Test func writesIdentifierOnlyWhenAsked() {
        var plain = MessageEncoder()
        var identified = MessageEncoder(writesFileIdentifier: true)
        let message = Message.handshake(systemName: "lumis 0.1")
        #expect(Array(plain.encode(message)[4..<8]) != Array("PPXF".utf8))
        #expect(Array(identified.encode(message)[4..<8]) == Array("PPXF".utf8))
    }
}
