import ArgumentParser
import LumisInference

extension LumisCommand {
    struct Summary: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a posterior file as a table.")

        @Argument(help: "A posterior file written by 'lumis infer --out'.")
        var path: String

        func run() throws {
            print(try PosteriorSummary(contentsOfFile: path).renderTable(), terminator: "")
        }
    }
}
