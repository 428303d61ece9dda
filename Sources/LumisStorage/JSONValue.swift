/// A JSON document tree: the one JSON writer and parser of Lumis (docs/architecture.md, "JSON").
///
/// Output is deterministic: object keys sorted by their UTF-8 bytes, doubles in Swift's shortest round-trip form,
/// non-finite doubles as the strings `"inf"`, `"-inf"`, `"nan"`, control characters other than `\n`, `\r`, `\t`
/// as `\u00XX`, and one newline at the end. ``Style`` chooses compact or indented output. Numbers keep their source
/// text when parsed, so integers of any size and doubles read back exactly. Codable documents go through the tree
/// (``init(encoding:)``, ``decode(_:)``).
package enum JSONValue: Sendable, Equatable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number's literal text (always valid JSON number syntax).
    case number(String)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object; keys are written sorted.
    case object([String: JSONValue])

    /// A finite double in shortest round-trip form; ±∞ and NaN become the strings `"inf"`, `"-inf"`, `"nan"`.
    package static func double(_ value: Double) -> JSONValue {
        if value.isNaN { return .string("nan") }
        if value.isInfinite { return .string(value < 0 ? "-inf" : "inf") }
        return .number(value.description)
    }

    /// The double a number stands for, or the non-finite value the strings `"inf"`, `"-inf"`, `"nan"` stand for;
    /// `nil` for any other value.
    package var doubleValue: Double? {
        switch self {
        case .number(let text): Double(text)
        case .string("inf"): .infinity
        case .string("-inf"): -.infinity
        case .string("nan"): .nan
        default: nil
        }
    }

    /// An integer, written exactly.
    package static func integer<T: BinaryInteger>(_ value: T) -> JSONValue { .number(String(value)) }

    /// How a document is laid out.
    package struct Style: Sendable {
        /// Two-space indentation, `"key" : value`, one member or item a line (Foundation's `prettyPrinted`
        /// layout, which dataset manifests and indexes have always had).
        package var isIndented: Bool
        /// Whether `/` is written `\/` (network descriptions have always escaped it).
        package var escapesSlashes: Bool
        /// Whether a newline follows the document (files end with one; network descriptions never had it).
        package var endsWithNewline: Bool

        /// Creates a style.
        package init(isIndented: Bool, escapesSlashes: Bool = false, endsWithNewline: Bool = true) {
            self.isIndented = isIndented
            self.escapesSlashes = escapesSlashes
            self.endsWithNewline = endsWithNewline
        }

        /// No insignificant whitespace.
        package static let compact = Style(isIndented: false)
        /// Indented.
        package static let indented = Style(isIndented: true)
    }

    /// The serialised document followed by a newline, compact.
    package var text: String { text(style: .compact) }

    /// The serialised document in `style`.
    package func text(style: Style) -> String {
        var output = ""
        write(to: &output, style: style, indent: 0)
        if style.endsWithNewline { output += "\n" }
        return output
    }

    private func write(to output: inout String, style: Style, indent: Int) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let text): output += text
        case .string(let text): Self.writeString(text, to: &output, style: style)
        case .array(let items):
            output += "["
            for (index, item) in items.enumerated() {
                if index > 0 { output += "," }
                Self.newline(&output, style: style, indent: indent + 1)
                item.write(to: &output, style: style, indent: indent + 1)
            }
            Self.close(&output, "]", isEmpty: items.isEmpty, style: style, indent: indent)
        case .object(let members):
            output += "{"
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                if index > 0 { output += "," }
                Self.newline(&output, style: style, indent: indent + 1)
                Self.writeString(key, to: &output, style: style)
                output += style.isIndented ? " : " : ":"
                members[key]?.write(to: &output, style: style, indent: indent + 1)
            }
            Self.close(&output, "}", isEmpty: members.isEmpty, style: style, indent: indent)
        }
    }

    private static func newline(_ output: inout String, style: Style, indent: Int) {
        guard style.isIndented else { return }
        output += "\n" + String(repeating: "  ", count: indent)
    }

    /// Indented, an empty container holds a blank line, as Foundation wrote it.
    private static func close(_ output: inout String, _ bracket: String, isEmpty: Bool, style: Style, indent: Int) {
        if style.isIndented && isEmpty { output += "\n" }
        newline(&output, style: style, indent: indent)
        output += bracket
    }

    private static func writeString(_ text: String, to output: inout String, style: Style) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "/" where style.escapesSlashes: output += "\\/"
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
