import Glibc

/// A small SVG 1.1 writer: shapes and text appended in drawing order, attributes escaped.
struct SVGDocument {
    let width: Double
    let height: Double
    private var body = ""

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// Opens a group with `attributes`; close it with ``endGroup()``.
    mutating func beginGroup(_ attributes: [(String, String)]) { body += "<g\(Self.render(attributes))>\n" }

    mutating func endGroup() { body += "</g>\n" }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, _ attributes: [(String, String)] = []) {
        body +=
            "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"\(Self.number(width))\" "
            + "height=\"\(Self.number(height))\"\(Self.render(attributes))/>\n"
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, _ attributes: [(String, String)] = []) {
        body +=
            "<line x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" x2=\"\(Self.number(x2))\" "
            + "y2=\"\(Self.number(y2))\"\(Self.render(attributes))/>\n"
    }

    mutating func circle(x: Double, y: Double, radius: Double, _ attributes: [(String, String)] = []) {
        body +=
            "<circle cx=\"\(Self.number(x))\" cy=\"\(Self.number(y))\" r=\"\(Self.number(radius))\""
            + "\(Self.render(attributes))/>\n"
    }

    mutating func polyline(_ points: [(Double, Double)], _ attributes: [(String, String)] = []) {
        guard !points.isEmpty else { return }
        let text = points.map { "\(Self.number($0.0)),\(Self.number($0.1))" }.joined(separator: " ")
        body += "<polyline points=\"\(text)\" fill=\"none\"\(Self.render(attributes))/>\n"
    }

    mutating func text(_ content: String, x: Double, y: Double, _ attributes: [(String, String)] = []) {
        body +=
            "<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\"\(Self.render(attributes))>"
            + Self.escape(content) + "</text>\n"
    }

    /// The complete document.
    var text: String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(Self.number(width))\" "
            + "height=\"\(Self.number(height))\" viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" "
            + "font-family=\"sans-serif\" font-size=\"12\">\n"
            + "<rect x=\"0\" y=\"0\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" fill=\"white\"/>\n"
            + body + "</svg>\n"
    }

    /// A coordinate with at most 4 decimals (plenty at screen resolution, and exact enough for tests).
    static func number(_ value: Double) -> String {
        let rounded = (value * 10_000).rounded() / 10_000
        return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int(rounded)) : rounded.description
    }

    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }

    private static func render(_ attributes: [(String, String)]) -> String {
        attributes.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
    }
}
