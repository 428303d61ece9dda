import LumisCore
import Synchronization

/// Which of the given observations the simulator observes: judges the first trace (a warning, or with
/// `isStrict` an error, naming each given observation it did not observe) and collects the names no trace
/// observed, for the posterior file.
///
/// A name the simulator never observes has no effect on the posterior; it is usually a misspelling.
final class ObservationUse: Sendable {
    private struct State {
        /// Given names no trace has observed yet.
        var unobserved: Set<String>
        var hasJudgedFirstTrace: Bool
    }

    private let given: Set<String>
    private let state: Mutex<State>
    private let isStrict: Bool
    private let warn: (@Sendable (String) -> Void)?

    /// Tracks `given`; the first recorded trace is judged unless `judgesFirstTrace` is false (ranks other than 0
    /// of an MPI launch, whose first trace is not the run's).
    init(given: some Sequence<String>, judgesFirstTrace: Bool, isStrict: Bool, warn: (@Sendable (String) -> Void)?) {
        self.given = Set(given)
        state = Mutex(State(unobserved: self.given, hasJudgedFirstTrace: !judgesFirstTrace))
        self.isStrict = isStrict
        self.warn = warn
    }

    /// Notes the observations of a finished trace.
    ///
    /// - Throws: with `isStrict`, an ``InferenceRunError`` if this is the first trace and it did not observe
    ///   every given name.
    func record(_ trace: Trace) throws {
        let message: String? = state.withLock { state in
            guard !state.unobserved.isEmpty || !state.hasJudgedFirstTrace else { return nil }
            var observed = Set<String>()
            for entry in trace.entries where entry.kind == .observe && given.contains(entry.name) {
                observed.insert(entry.name)
            }
            state.unobserved.subtract(observed)
            guard !state.hasJudgedFirstTrace else { return nil }
            state.hasJudgedFirstTrace = true
            let missing = given.subtracting(observed).sorted()
            guard !missing.isEmpty else { return nil }
            let names = missing.map { "'\($0)'" }.joined(separator: ", ")
            let plural = missing.count > 1
            return "the simulator's first trace did not observe \(names): "
                + (plural ? "these observations have" : "this observation has")
                + " no effect unless a later trace observes \(plural ? "them" : "it") (a misspelt name?)"
        }
        guard let message else { return }
        if isStrict { throw InferenceRunError(.request, message + "; --strict-observations refuses it") }
        warn?("warning: " + message)
    }

    /// The given names no recorded trace observed, sorted.
    var unused: [String] { state.withLock { $0.unobserved.sorted() } }
}
