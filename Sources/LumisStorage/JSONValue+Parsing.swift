/// A syntax error in a JSON document.
package struct JSONSyntaxError: Error, Equatable, CustomStringConvertible {
    /// The byte offset where parsing failed.
    package var offset: Int
    /// What was wrong.
    package var message: String
    /// The key an object repeats, when that is what was wrong.
    package var duplicateKey: String?

    /// `invalid JSON at byte <offset>: <message>`.
    package var description: String { "invalid JSON at byte \(offset): \(message)" }
}

extension JSONValue {
    /// What a key repeated in an object below the top level does.
    package enum NestedDuplicateKeys: Sendable {
        /// It is a syntax error, as at the top level.
        case rejected
        /// The last value is kept (a document whose top level is a list of names, each given once).
        case lastKept
    }

    /// Parses a complete JSON document (RFC 8259), rejecting duplicate keys (below the top level as
    /// `nestedDuplicateKeys` says) and nesting deeper than 64.
    package static func parse(_ bytes: [UInt8], nestedDuplicateKeys: NestedDuplicateKeys = .rejected)
        throws(JSONSyntaxError) -> JSONValue
    {
        var parser = JSONParser(bytes: bytes, keepsNestedDuplicates: nestedDuplicateKeys == .lastKept)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.error("unexpected data after the document") }
        return value
    }
}

private struct JSONParser {
    let bytes: [UInt8]
    let keepsNestedDuplicates: Bool
    var position = 0

    init(bytes: [UInt8], keepsNestedDuplicates: Bool) {
        self.bytes = bytes
        self.keepsNestedDuplicates = keepsNestedDuplicates
    }

    func error(_ message: String) -> JSONSyntaxError { JSONSyntaxError(offset: position, message: message) }

    mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth < 64 else { throw error("nesting deeper than 64 levels") }
        guard position < bytes.count else { throw error("unexpected end of document") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character '\(UnicodeScalar(bytes[position]))'")
        }
    }

    mutating func expectLiteral(_ literal: String) throws(JSONSyntaxError) {
        for byte in literal.utf8 {
            guard position < bytes.count, bytes[position] == byte else { throw error("invalid literal") }
            position += 1
        }
    }

    mutating func parseObject(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        position += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw error("expected a string key")
            }
            let key = try parseString()
            guard members[key] == nil || (keepsNestedDuplicates && depth > 0) else {
                var repeated = error("duplicate key \"\(key)\"")
                repeated.duplicateKey = key
                throw repeated
            }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw error("expected ':'") }
            position += 1
            skipWhitespace()
            members[key] = try parseValue(depth: depth + 1)
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of document in an object") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
            } else if bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            } else {
                throw error("expected ',' or '}'")
            }
        }
    }

    mutating func parseArray(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of document in an array") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
            } else if bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(items)
            } else {
                throw error("expected ',' or ']'")
            }
        }
    }

    mutating func parseNumber() throws(JSONSyntaxError) -> JSONValue {
        let start = position
        func digits(_ parser: inout JSONParser) -> Int {
            let first = parser.position
            while parser.position < parser.bytes.count,
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(parser.bytes[parser.position])
            {
                parser.position += 1
            }
            return parser.position - first
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        let integerStart = position
        let integerDigits = digits(&self)
        guard integerDigits > 0 else { throw error("invalid number") }
        if integerDigits > 1 && bytes[integerStart] == UInt8(ascii: "0") { throw error("number with leading zero") }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits(&self) > 0 else { throw error("invalid number") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard digits(&self) > 0 else { throw error("invalid number exponent") }
        }
        return .number(String(decoding: bytes[start..<position], as: UTF8.self))
    }

    mutating func parseString() throws(JSONSyntaxError) -> String {
        position += 1
        var scalars = String.UnicodeScalarView()
        var pendingHighSurrogate: UInt32?
        while true {
            guard position < bytes.count else { throw error("unterminated string") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                guard pendingHighSurrogate == nil else { throw error("unpaired surrogate in string") }
                return String(scalars)
            }
            if byte < 0x20 { throw error("control character in string") }
            if byte == UInt8(ascii: "\\") {
                position += 1
                guard position < bytes.count else { throw error("unterminated escape") }
                let escape = bytes[position]
                position += 1
                var code: UInt32
                switch escape {
                case UInt8(ascii: "\""): code = 0x22
                case UInt8(ascii: "\\"): code = 0x5C
                case UInt8(ascii: "/"): code = 0x2F
                case UInt8(ascii: "b"): code = 0x08
                case UInt8(ascii: "f"): code = 0x0C
                case UInt8(ascii: "n"): code = 0x0A
                case UInt8(ascii: "r"): code = 0x0D
                case UInt8(ascii: "t"): code = 0x09
                case UInt8(ascii: "u"):
                    guard position + 4 <= bytes.count,
                        let value = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
                    else { throw error("invalid \\u escape") }
                    position += 4
                    code = value
                default: throw error("invalid escape")
                }
                if let high = pendingHighSurrogate {
                    guard (0xDC00...0xDFFF).contains(code) else { throw error("unpaired surrogate in string") }
                    code = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00)
                    pendingHighSurrogate = nil
                } else if (0xD800...0xDBFF).contains(code) {
                    pendingHighSurrogate = code
                    continue
                }
                guard let scalar = Unicode.Scalar(code) else { throw error("unpaired surrogate in string") }
                scalars.append(scalar)
                continue
            }
            guard pendingHighSurrogate == nil else { throw error("unpaired surrogate in string") }
            // Decode one UTF-8 scalar, rejecting malformed sequences.
            var iterator = bytes[position...].makeIterator()
            var decoder = UTF8()
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                scalars.append(scalar)
                position += UTF8.width(scalar)
            case .emptyInput, .error: throw error("invalid UTF-8 in string")
            }
        }
    }
}
