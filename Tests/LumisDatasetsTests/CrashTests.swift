import Foundation
import LumisDatasets
import LumisTestSupport
import Testing

/// The real `lumis` binary, killed with SIGKILL part-way, then resumed: the result equals an uninterrupted run.
@Suite("Dataset crash and resume", .serialized, .timeLimit(.minutes(3)))
struct CrashTests {
    static func arguments(_ out: URL, resume: Bool = false) throws -> [String] {
        [
            "dataset", "--launch", try Executables.simulator("gum") + " {endpoint}", "--traces", "3000",
            "--shard-traces", "100", "--seed", "4", "--workers", "2", "--no-progress", "--out", out.path,
        ] + (resume ? ["--resume"] : [])
    }

    /// Starts `path` with its output discarded and returns its process id (Foundation's `Process` does not
    /// always notice a SIGKILLed child on Linux).
    static func spawn(_ path: String, _ arguments: [String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard code == 0 else { throw Executables.Missing(description: "cannot start \(path): error \(code)") }
        return pid
    }

    @Test("SIGKILL after some shards, --resume: byte-identical to an uninterrupted run, stray temporaries gone")
    func killAndResume() throws {
        let lumis = try Executables.lumis()
        let killed = try Executables.temporaryDirectory("ds-killed")
        let whole = try Executables.temporaryDirectory("ds-whole")
        defer { for url in [killed, whole] { try? FileManager.default.removeItem(at: url) } }
        let uninterrupted = try Executables.run(lumis, try Self.arguments(whole))
        #expect(uninterrupted.status == 0, "\(uninterrupted.standardError)")

        let pid = try Self.spawn(lumis, try Self.arguments(killed))
        let index = killed.appendingPathComponent("index-rank00000.json")
        let deadline = Date().addingTimeInterval(60)
        // Kill once the index lists at least three shards.
        while Date() < deadline {
            if let text = try? String(contentsOf: index, encoding: .utf8),
                text.components(separatedBy: "\"first_trace\"").count > 3
            {
                break
            }
            usleep(2_000)
        }
        // The launched simulators outlive a SIGKILLed parent: stop them too, by their process ids.
        // Each thread's children are listed under its own task (workers launch the simulators).
        var children = ""
        for task in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? [] {
            children +=
                " " + ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "")
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        for child in children.split(separator: " ").compactMap({ Int32($0) }) { kill(child, SIGTERM) }
        #expect(status & 0x7F == SIGKILL)
        let partial = try DatasetReader(directory: killed.path)
        #expect(partial.shards.count >= 3 && !partial.isComplete, "the run finished before it was killed")
        // A stray temporary, as a kill during a shard leaves: resume must remove it.
        let stray = killed.appendingPathComponent("shard-000029.lumisds.tmp")
        try Data("torn".utf8).write(to: stray)
        let resumed = try Executables.run(lumis, try Self.arguments(killed, resume: true))
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardError.contains("shards were already complete"), "\(resumed.standardError)")
        #expect(!FileManager.default.fileExists(atPath: stray.path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: killed.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
        #expect(try Fixtures.shards(killed) == (try Fixtures.shards(whole)))
        #expect(try Fixtures.shards(whole).count == 30)
        let reader = try DatasetReader(directory: killed.path)
        #expect(reader.isComplete && reader.traceCount == 3000)
        try reader.verifyChecksums()
        let info = try Executables.run(lumis, ["dataset-info", killed.path, "--verify"])
        #expect(info.status == 0 && info.standardOutput.contains("traces      3000 of 3000"), "\(info.standardOutput)")
        #expect(info.standardOutput.contains("Gaussian with unknown mean"))
    }
}
