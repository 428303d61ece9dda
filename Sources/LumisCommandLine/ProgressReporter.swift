import Foundation
import LumisSimulation
import Synchronization

/// Shows ``RunProgress`` on standard error: a self-overwriting line on a terminal, else one plain line every few
/// seconds and one at every milestone (each validation of a training run), so a batch job's log shows how far it
/// is without filling up.
///
/// Each line holds the phase (for MCMC, `burn-in` then `sampling`), the percentage, the counts, the rate, the
/// estimated time to completion (plain lines also the elapsed time) and, as they apply, the running ESS and the
/// engine's measures (training and validation loss).
final class ProgressReporter: Sendable {
    /// How lines are drawn.
    enum Style: Sendable, Equatable {
        /// One line redrawn in place at most ten times a second (a terminal).
        case live
        /// A plain line every `seconds` seconds, one at every milestone and one at the end (a log file).
        case periodic(seconds: Double)
    }

    private struct State {
        var lastDraw: ContinuousClock.Instant?
        var lastLength = 0
        var hasWrittenFinal = false
    }

    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private let state: Mutex<State>
    private let style: Style
    private let write: @Sendable (String) -> Void

    /// Creates a reporter writing to standard error (or to `write`, for tests).
    init(style: Style, write: @escaping @Sendable (String) -> Void = ProgressReporter.standardError) {
        self.style = style
        self.write = write
        start = clock.now
        state = Mutex(State())
    }

    /// Writes `text` to standard error.
    static func standardError(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    /// Shows `progress` if it is time to.
    ///
    /// Live: at most ten times a second, and always for the last item. Periodic: once every interval and at
    /// every milestone; the last item only if an earlier line was written, so a run without milestones that is
    /// shorter than the interval leaves no line.
    func update(_ progress: RunProgress) {
        let now = clock.now
        state.withLock { state in
            let isFinal = progress.completed == progress.total
            switch style {
            case .live:
                guard isFinal || state.lastDraw.map({ now - $0 >= .milliseconds(100) }) ?? true else { return }
            case .periodic(let seconds):
                let isDue =
                    progress.isMilestone || now - (state.lastDraw ?? start) >= .milliseconds(Int64(seconds * 1000))
                guard !state.hasWrittenFinal, isDue || (isFinal && state.lastDraw != nil) else { return }
                state.hasWrittenFinal = isFinal
            }
            state.lastDraw = now
            let line = Self.render(progress, elapsed: (now - start) / .seconds(1), showsElapsed: style != .live)
            if style == .live {
                let padding = String(repeating: " ", count: max(0, state.lastLength - line.count))
                state.lastLength = line.count
                write("\r" + line + padding)
            } else {
                write(Console.rankPrefix + line + "\n")
            }
        }
    }

    /// Ends a live line (a newline, if one was drawn).
    func finish() {
        state.withLock { state in
            if style == .live && state.lastLength > 0 { write("\n") }
            state.lastLength = 0
        }
    }

    /// `phase  42% 420/1000 traces  85 traces/s  ETA 7 s  ESS 31.2  loss 1.2345`; with `showsElapsed`, `elapsed
    /// 5 s` follows the ETA.
    static func render(_ progress: RunProgress, elapsed: Double, showsElapsed: Bool = false) -> String {
        let fraction = progress.total > 0 ? Double(progress.completed) / Double(progress.total) : 1
        var line = "\(progress.phase.rawValue)  " + String(format: "%3.0f%%", (fraction * 100).rounded(.down))
        line += "  \(progress.completed)/\(progress.total) \(progress.unit)"
        let rate = elapsed > 0 ? Double(progress.completed) / elapsed : 0
        line += String(format: "  %.0f \(progress.unit)/s", rate)
        if progress.completed < progress.total {
            line += "  ETA " + (rate > 0 ? duration(Double(progress.total - progress.completed) / rate) : "-")
            if showsElapsed { line += "  elapsed " + duration(elapsed) }
        } else {
            line += "  done in " + duration(elapsed)
        }
        if let ess = progress.effectiveSampleSize { line += String(format: "  ESS %.1f", ess) }
        for measure in progress.measures {
            line += "  \(measure.name) " + (measure.value.map(number) ?? "-")
        }
        return line
    }

    /// `42 s`, `3 min 07 s`, `2 h 05 min`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "-" }
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total) s" }
        if total < 3600 { return String(format: "%d min %02d s", total / 60, total % 60) }
        return String(format: "%d h %02d min", total / 3600, total % 3600 / 60)
    }

    /// An integer as such, else four significant digits.
    private static func number(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e9 { return String(Int(value)) }
        return String(format: abs(value) < 1e-3 ? "%.2e" : "%.4g", value)
    }
}
