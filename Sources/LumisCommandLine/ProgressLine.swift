import Foundation
import LumisInference
import Synchronization

/// A self-overwriting progress line on standard error: traces done, traces per second, running ESS.
final class ProgressLine: Sendable {
    private struct State {
        var lastDraw: ContinuousClock.Instant
        var lastLength = 0
    }

    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private let state: Mutex<State>
    private let isWeighted: Bool
    private let unit: String

    init(isWeighted: Bool, unit: String = "traces") {
        self.isWeighted = isWeighted
        self.unit = unit
        start = clock.now
        state = Mutex(State(lastDraw: start))
    }

    /// Redraws at most ten times a second, and always for the last trace.
    func update(_ progress: InferenceJob.Progress) {
        update(completed: progress.completed, total: progress.total, effectiveSampleSize: progress.effectiveSampleSize)
    }

    /// Redraws at most ten times a second, and always for the last item.
    func update(completed: Int, total: Int, effectiveSampleSize: Double = 0) {
        let now = clock.now
        state.withLock { state in
            guard completed == total || now - state.lastDraw >= .milliseconds(100) else { return }
            state.lastDraw = now
            let elapsed = max((now - start) / .seconds(1), 1e-9)
            var line =
                "\(completed)/\(total) \(unit)  "
                + String(format: "%.0f \(unit)/s", Double(completed) / elapsed)
            if isWeighted { line += String(format: "  ESS %.1f", effectiveSampleSize) }
            let padding = String(repeating: " ", count: max(0, state.lastLength - line.count))
            state.lastLength = line.count
            FileHandle.standardError.write(Data(("\r" + line + padding).utf8))
        }
    }

    /// Ends the line.
    func finish() {
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
