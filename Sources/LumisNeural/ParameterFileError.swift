/// Why a parameter file could not be read or written.
public enum ParameterFileError: Error, Equatable, CustomStringConvertible {
    /// The file does not start with the magic bytes `LUMISPRM`: it is not a Lumis parameter file.
    case wrongMagic
    /// The file's format version is not one this build reads.
    case unsupportedVersion(found: UInt32, supported: UInt32)
    /// The file is shorter than its header says (or than a header).
    case truncated(expectedBytes: Int, actualBytes: Int)
    /// The file is longer than its header says.
    case trailingBytes(expectedBytes: Int, actualBytes: Int)
    /// The content does not match the stored checksum: the file is corrupt.
    case checksumMismatch(stored: UInt64, computed: UInt64)
    /// The content passed the checksum but is inconsistent (a writer bug or a crafted file); names what.
    case malformed(String)
    /// Opening, reading, writing or renaming failed.
    case system(operation: String, path: String, message: String)

    /// A sentence naming the problem.
    public var description: String {
        switch self {
        case .wrongMagic: "not a Lumis parameter file (wrong magic bytes)"
        case .unsupportedVersion(let found, let supported):
            "parameter file format version \(found) is not supported (this build reads version \(supported))"
        case .truncated(let expected, let actual):
            "parameter file is truncated: \(actual) bytes, expected \(expected)"
        case .trailingBytes(let expected, let actual):
            "parameter file has \(actual - expected) unexpected trailing bytes (\(actual), expected \(expected))"
        case .checksumMismatch(let stored, let computed):
            "parameter file is corrupt: checksum \(String(computed, radix: 16)) does not match the stored "
                + String(stored, radix: 16)
        case .malformed(let what): "parameter file is malformed: \(what)"
        case .system(let operation, let path, let message): "\(operation) '\(path)' failed: \(message)"
        }
    }
}
