extension String {
    /// The text made safe to quote in a one-line message: control, format, separator, private-use and unassigned
    /// characters become escapes (`\0`, `\t`, `\n`, `\r`, else `\u{1B}`), and a backslash becomes `\\`.
    ///
    /// Addresses and names come from the simulator; a mutated frame can carry NUL or terminal escape bytes that
    /// would otherwise cut or recolour the error line.
    /// - Complexity: O(length).
    public var escapedForMessage: String {
        var result = ""
        result.reserveCapacity(utf8.count)
        for scalar in unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\0": result += "\\0"
            case "\t": result += "\\t"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            default:
                switch scalar.properties.generalCategory {
                case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned:
                    result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                default:
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }
}
