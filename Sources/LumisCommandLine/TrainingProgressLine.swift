import Foundation
import LumisCompilation

/// A self-overwriting line on standard error: traces, traces per second, loss, validation loss, learning rate.
final class TrainingProgressLine {
    private let clock = ContinuousClock()
    private var lastDraw: ContinuousClock.Instant?
    private var lastLength = 0

    /// Redraws at most five times a second, and always for the last batch.
    func update(_ progress: TrainingProgress) {
        let now = clock.now
        if let lastDraw, progress.traces < progress.total, now - lastDraw < .milliseconds(200) { return }
        lastDraw = now
        func format(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "-" }
        var line =
            "\(progress.traces)/\(progress.total) traces  "
            + String(format: "%.0f traces/s", progress.tracesPerSecond)
            + "  loss \(format(progress.loss))  valid \(format(progress.validationLoss))"
            + String(format: "  lr %.2e", progress.learningRate) + "  \(progress.addresses) addresses"
        if progress.skippedBatches > 0 { line += "  \(progress.skippedBatches) skipped" }
        let padding = String(repeating: " ", count: max(0, lastLength - line.count))
        lastLength = line.count
        FileHandle.standardError.write(Data(("\r" + line + padding).utf8))
    }

    /// Ends the line.
    func finish() {
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
