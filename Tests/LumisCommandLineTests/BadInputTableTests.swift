import Foundation
import LumisTestSupport
import Testing

/// The bad-input table of docs/operations.md, run row by row through the built `lumis`: each row's exit code and
/// last line of stderr must be what the page says, so the page cannot drift from the program.
@Suite("docs/operations.md bad-input table", .serialized, .timeLimit(.minutes(4)))
struct BadInputTableTests {
    /// One row: what it is, the command, the exit code, the last line of stderr (`…` matches any text).
    struct Row: Sendable, CustomTestStringConvertible {
        var label: String
        var command: String
        var status: Int32
        var message: String
        var testDescription: String { label }
    }

    static let page = Executables.repositoryRoot.appendingPathComponent("docs/operations.md")

    /// The rows between the `bad-input-table` markers.
    static func rows() throws -> [Row] {
        let text = try String(contentsOf: page, encoding: .utf8)
        guard let start = text.range(of: "<!-- bad-input-table -->"),
            let end = text.range(of: "<!-- /bad-input-table -->")
        else { return [] }
        return text[start.upperBound..<end.lowerBound].split(separator: "\n").dropFirst(2).map { line in
            let cells = line.trimmingCharacters(in: ["|", " "]).components(separatedBy: " | ")
            let unquoted = { (cell: String) in cell.trimmingCharacters(in: ["`"]) }
            return Row(
                label: cells[0], command: cells.count > 1 ? unquoted(cells[1]) : "",
                status: cells.count > 2 ? Int32(cells[2]) ?? -1 : -1, message: cells.count > 3 ? unquoted(cells[3]) : ""
            )
        }
    }

    @Test("The table is there and covers every row of issue 14 and the older bad inputs")
    func coverage() throws {
        let rows = try Self.rows()
        #expect(rows.count >= 20)
        for row in rows {
            #expect(row.status >= 0 && row.command.hasPrefix("lumis ") && !row.message.isEmpty, "\(row)")
        }
        let commands = rows.map(\.command).joined(separator: "\n")
        for needed in [
            "--traces 1e10", "--traces -5", "no-such-command", "--startup-timeout", "localhost:5555", "dup.json",
            "# SIGTERM", "# SIGINT", "/proc/lumis/p.json", "empty.lumisnet", "corrupt-data", "corrupt.json",
        ] {
            #expect(commands.contains(needed), "no row for \(needed)")
        }
    }

    @Test("Each row gives the exit code and the last line of stderr the page states", arguments: try rows())
    func row(_ row: Row) throws {
        let directory = try Self.fixtures(for: row.command)
        defer { try? FileManager.default.removeItem(at: directory) }
        let command = try Self.resolve(row.command, directory: directory)
        let signal = command.range(of: " # SIG").map { String(command[$0.upperBound...]) }
        let status: Int32
        let standardError: String
        if let signal {
            let line = String(command[..<command.range(of: " # SIG")!.lowerBound])  // found just above
            let errorPath = directory.appendingPathComponent("stderr.txt").path
            let pid = try EndToEndTests.spawn("/bin/sh", ["-c", "exec " + line], errorPath: errorPath)
            #expect(EndToEndTests.waitForSimulator(of: pid))
            usleep(300_000)
            kill(pid, signal == "TERM" ? SIGTERM : SIGINT)
            let wait = EndToEndTests.wait(for: pid, limit: .seconds(20)) ?? 0
            status = wait & 0x7f == 0 ? (wait >> 8) & 0xff : 128 + (wait & 0x7f)
            standardError = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        } else {
            let outcome = try Executables.run("/bin/sh", ["-c", command], environment: ["OPENBLAS_NUM_THREADS": "1"])
            status = outcome.status
            standardError = outcome.standardError
        }
        let last = standardError.split(separator: "\n").last.map(String.init) ?? ""
        let expected = row.message.replacing("DIR", with: directory.path)
        #expect(status == row.status, "\(standardError)")
        #expect(Self.matches(last, expected), "stderr ends with\n\(last)\nthe page says\n\(expected)")
    }

    /// Whether `line` is `pattern` with each `…` standing for any text.
    static func matches(_ line: String, _ pattern: String) -> Bool {
        let parts = pattern.components(separatedBy: "…").map(NSRegularExpression.escapedPattern(for:))
        let regex = try? NSRegularExpression(pattern: "^" + parts.joined(separator: ".*") + "$")
        return regex?.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil
    }

    /// The command with `lumis`, `GUM`, `HMM`, `BRANCHING` and `DIR` replaced by real paths.
    static func resolve(_ command: String, directory: URL) throws -> String {
        try Executables.lumis()
            + command.dropFirst("lumis".count)
            .replacing("GUM {endpoint}", with: try Executables.simulator("gum") + " {endpoint}")
            .replacing("HMM {endpoint}", with: try Executables.simulator("hmm") + " {endpoint}")
            .replacing("BRANCHING {endpoint}", with: try Executables.simulator("branching") + " {endpoint}")
            .replacing("DIR", with: directory.path)
    }

    /// A scratch directory with the files the rows name: a duplicate-key observation file, an empty network, a
    /// corrupt posterior, and (only when `command` names them) a real posterior, a small network trained on gum and a
    /// truncated and a corrupt dataset.
    static func fixtures(for command: String) throws -> URL {
        let directory = try Executables.temporaryDirectory("bad-input-table")
        let file = { (name: String) in directory.appendingPathComponent(name) }
        try #"{"obs0": 1, "obs1": 2, "obs0": 3}"#.write(to: file("dup.json"), atomically: true, encoding: .utf8)
        try Data().write(to: file("empty.lumisnet"))
        try #"{"format": "lumis-posterior", "version""#.write(
            to: file("corrupt.json"), atomically: true, encoding: .utf8)
        let lumis = try Executables.lumis()
        let gum = try Executables.simulator("gum") + " {endpoint}"
        if command.contains("posterior.json") {
            _ = try Executables.run(
                lumis,
                [
                    "infer", "--launch", gum, "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "100",
                    "--no-progress", "--out", file("posterior.json").path,
                ])
        }
        if command.contains("gum.lumisnet") {
            _ = try Executables.run(
                lumis,
                [
                    "train", "--launch", gum, "--traces", "64", "--batch-size", "32", "--lstm-hidden", "4",
                    "--embedding-dim", "4", "--validation-traces", "8", "--seed", "1", "--no-progress",
                    "--out", file("gum.lumisnet").path,
                ], environment: ["OPENBLAS_NUM_THREADS": "1"])
        }
        guard command.contains("-data") else { return directory }
        for name in ["truncated-data", "corrupt-data"] {
            _ = try Executables.run(
                lumis, ["dataset", "--launch", gum, "--traces", "300", "--seed", "1", "--out", file(name).path])
        }
        let shard = "shard-000000.lumisds"
        let truncated = try FileHandle(forWritingTo: file("truncated-data").appendingPathComponent(shard))
        try truncated.truncate(atOffset: 500)
        try truncated.close()
        var bytes = try Data(contentsOf: file("corrupt-data").appendingPathComponent(shard))
        bytes[bytes.count / 2] ^= 0x10
        try bytes.write(to: file("corrupt-data").appendingPathComponent(shard))
        return directory
    }
}
