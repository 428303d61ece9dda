import ArgumentParser
import LumisCommandLine
import Testing

/// `lumis` argument parsing: valid combinations parse, invalid ones fail as usage errors with a clear message.
@Suite("Command-line parsing")
struct ParseTests {
    static let gum = "gum {endpoint}"

    @Test(
        "Valid combinations parse",
        arguments: [
            ["infer", "--launch", gum],
            ["infer", "--launch", gum, "--engine", "prior", "--traces", "5", "--workers", "3", "--seed", "7"],
            ["infer", "--launch", gum, "--observe", "obs0=8", "--observe", "obs1=[1,2]", "--out", "p.json"],
            ["infer", "--simulator", "tcp://127.0.0.1:5555", "--engine", "is", "--timeout", "0.5"],
            ["infer", "--simulator", "ipc://@a", "--simulator", "ipc://@b", "--workers", "2", "--no-progress"],
            ["infer", "--simulator", "ipc://@a", "--simulator", "ipc://@b"],
            ["infer", "--launch", gum, "--observe-file", "obs.json", "--max-failures", "0", "--progress"],
            ["summary", "p.json"],
            ["ping", "--simulator", "ipc://@a"],
            ["ping", "--launch", gum, "--timeout", "2"],
        ])
    func valid(arguments: [String]) throws {
        let command = try LumisCommand.parseAsRoot(arguments)
        let expected = ["infer": "Infer", "summary": "Summary", "ping": "Ping"][arguments[0]]
        #expect(String(describing: type(of: command)) == expected)
    }

    @Test(
        "Invalid combinations are usage errors naming the problem",
        arguments: [
            (["infer", "--launch", gum, "--traces", "0"], "must be a positive integer"),
            (["infer", "--launch", gum, "--traces", "-3"], "--traces"),
            (["infer", "--launch", gum, "--workers", "0"], "must be a positive integer"),
            (["infer", "--simulator", "ipc://@a", "--launch", gum], "either --simulator or --launch, not both"),
            (["infer"], "Give --simulator ENDPOINT or --launch"),
            (["infer", "--traces", "10"], "Give --simulator ENDPOINT or --launch"),
            (["infer", "--launch", "gum"], "must contain '{endpoint}'"),
            (["infer", "--launch", gum, "--engine", "hmc"], "'hmc' is invalid for '--engine"),
            (["infer", "--launch", gum, "--timeout=-1"], "--timeout must be a positive number"),
            (["infer", "--launch", gum, "--timeout", "0"], "--timeout must be a positive number"),
            (["infer", "--launch", gum, "--timeout", "nan"], "--timeout must be a positive number"),
            (["infer", "--launch", gum, "--max-failures=-1"], "must be a non-negative integer"),
            (["infer", "--simulator", "ipc://@a", "--workers", "2"], "--workers 2 needs 2 --simulator endpoints"),
            (["infer", "--launch", gum, "--seed", "-1"], "--seed"),
            (["infer", "--launch", gum, "--bogus"], "--bogus"),
            (["summary"], "<path>"),
            (["ping"], "Give --simulator ENDPOINT or --launch"),
            (["frobnicate"], "frobnicate"),
        ])
    func invalid(arguments: [String], mentions: String) {
        do {
            _ = try LumisCommand.parseAsRoot(arguments)
            Issue.record("\(arguments) parsed")
        } catch {
            #expect(LumisCommand.exitCode(for: error) == .validationFailure, "\(arguments)")
            let message = LumisCommand.message(for: error)
            #expect(message.contains(mentions), "\(arguments): \(message)")
        }
    }
}
