import Foundation
import Testing

/// Name-level checks over `Sources/`: shared foundations are defined once, and `Package.swift` declares every
/// module a target imports (the manifest is the picture of the house).
@Suite("Source tree")
struct SourceTreeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Every Swift file under `directory` (`Sources` or `Tests`), by target.
    static func sources(_ directory: String = "Sources") throws -> [(target: String, text: String)] {
        let sources = root.appendingPathComponent(directory)
        let enumerator = try #require(FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil))
        var files: [(String, String)] = []
        for case let url as URL in enumerator where url.pathExtension == "swift" {
            let target = url.path.dropFirst(sources.path.count + 1).split(separator: "/")[0]
            files.append((String(target), try String(contentsOf: url, encoding: .utf8)))
        }
        return files
    }

    @Test(
        "Each shared foundation is defined once in Sources",
        arguments: [
            ("logAddExp", #"func logAddExp\("#),
            ("Site", #"(struct|class|enum|typealias) Site\b"#),
            ("the atomic write (StagedFile)", #"struct StagedFile\b"#),
            ("the atomic write of a whole file", #"func writeAtomically\("#),
            ("the rename of a temporary into place", #"\brename\("#),
            ("the byte writer", #"(struct|class|enum|typealias) \w*(Byte|Binary)Writer\b"#),
            ("the byte reader", #"(struct|class|enum|typealias) \w*(Byte|Binary)Reader\b"#),
            ("the LEB128 varint writer", #"func writeVarint\(_ value: UInt64"#),
            ("the LEB128 varint reader", #"func readVarint\("#),
            ("the JSON tree and writer (JSONValue)", #"(struct|class|enum|typealias) \w*JSONValue\b"#),
            ("the JSON parser", #"(struct|class|enum|typealias) \w*JSONParser\b"#),
        ])
    func definedOnce(name: String, pattern: String) throws {
        let regex = try Regex(pattern)
        let count = try Self.sources().reduce(0) { $0 + $1.text.matches(of: regex).count }
        #expect(count == 1, "\(name) is defined \(count) times in Sources")
    }

    @Test("One JSON policy: no Foundation JSON coder in Sources, only LumisStorage's JSONValue")
    func oneJSONStack() throws {
        let foundationJSON = try Regex(#"\bJSON(Encoder|Decoder)\(|\bJSONSerialization\."#)
        let users = try Self.sources().filter { $0.text.contains(foundationJSON) }.map(\.target)
        #expect(users.isEmpty, "Foundation's JSON coders are used in \(users)")
    }

    @Test("Package.swift declares every module each target (and test target) imports")
    func manifestDeclaresImports() throws {
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let system: Set<String> = ["Foundation", "Glibc", "Synchronization", "Dispatch", "Testing"]
        let importLine = try Regex(#"(?m)^(?:public |package |internal )?import (\w+)"#)
        var imports: [String: Set<String>] = [:]
        for (target, text) in try Self.sources() + Self.sources("Tests") {
            for match in text.matches(of: importLine) {
                let module = String(try #require(match.output[1].substring))
                if !system.contains(module) { imports[target, default: []].insert(module) }
            }
        }
        #expect(imports.count > 20, "the scan found the targets' imports")
        for (target, modules) in imports.sorted(by: { $0.key < $1.key }) {
            let declaration = try Regex(#"\.(?:target|testTarget|executableTarget)\(\s*name: "# + "\"\(target)\"")
            let start = try #require(manifest.firstMatch(of: declaration), "\(target) is not in Package.swift")
            let rest = manifest[start.range.upperBound...]
            let dependencies = rest[..<(rest.range(of: "swiftSettings")?.lowerBound ?? rest.endIndex)]
            for module in modules.sorted() {
                #expect(dependencies.contains("\"\(module)\""), "\(target) imports \(module) but does not declare it")
            }
        }
    }
}
