import ArgumentParser
import LumisCore

/// Observed values given on the command line: `--observe name=value` (repeatable) and `--observe-file`.
struct ObservationOptions: ParsableArguments {
    @Option(
        name: .customLong("observe"),
        help: ArgumentHelp(
            "An observation, name=value; value is a number or a JSON array. Repeatable (default: none).",
            valueName: "name=value"))
    var assignments: [String] = []

    @Option(help: ArgumentHelp("JSON file of observations {\"name\": value} (default: none).", valueName: "file"))
    var observeFile: String?

    /// Whether any observation was given.
    var isEmpty: Bool { assignments.isEmpty && observeFile == nil }

    /// The observations of `--observe-file` (read first) and of every `--observe`.
    ///
    /// - Throws: `ValidationError` naming the bad assignment or file.
    func observationSet() throws -> ObservationSet {
        var set = ObservationSet()
        do {
            if let observeFile { try set.add(contentsOfFile: observeFile) }
            for assignment in assignments { try set.add(assignment: assignment) }
        } catch {
            throw ValidationError(error.description)
        }
        return set
    }
}
