import Foundation
import LumisInference

/// Tells calibration files from posterior files for the commands that read both (`summary`, `plot`).
enum CalibrationFiles {
    /// The calibration report in `path`, or `nil` if the file is not a calibration file (or cannot be read: the
    /// posterior reader then reports why).
    static func read(_ path: String) throws -> CalibrationReport? {
        guard let data = FileManager.default.contents(atPath: path),
            CalibrationReport.isCalibrationFile(Array(data))
        else { return nil }
        return try CalibrationReport(jsonText: Array(data), path: path)
    }
}
