import LumisStorage
import Testing

/// The one JSON writer and parser: the layouts files have always had (the expected texts below are what
/// Foundation's `JSONEncoder` wrote for the same values on this toolchain), Codable round trips, and errors.
@Suite("JSON writer and parser")
struct JSONValueTests {
    struct Inner: Codable, Equatable {
        var a: [Double]
        var e: [Int]
        var o: [String: Int]
        var s: String
        var n: Int?
    }

    struct Document: Codable, Equatable {
        var zeta: Int
        var Alpha: Inner
        var alpha: Double
        var beta: [Inner]
        var keys: [String: Double]
        var big: UInt64
    }

    static let document = Document(
        zeta: -3,
        Alpha: Inner(
            a: [
                1, 0.1, 1e-7, 1e20, 123_456_789_012_345_680, -0.0, .leastNonzeroMagnitude, 0.30000000000000004, 1e16,
                1e15,
            ], e: [],
            o: [:], s: "a/b\"\\\n\té😀", n: nil),
        alpha: .infinity, beta: [], keys: ["B": 1, "a": 2, "_": 3, "10": 4, "9": 5], big: .max)

    @Test("Indented Codable output is laid out as dataset files always were")
    func indented() throws {
        let text = try JSONValue(encoding: Self.document).text(style: .indented)
        #expect(
            text == """
                {
                  "Alpha" : {
                    "a" : [
                      1,
                      0.1,
                      1e-07,
                      1e+20,
                      1.2345678901234568e+17,
                      -0,
                      5e-324,
                      0.30000000000000004,
                      1e+16,
                      1000000000000000
                    ],
                    "e" : [

                    ],
                    "o" : {

                    },
                    "s" : "a/b\\"\\\\\\n\\té😀"
                  },
                  "alpha" : "inf",
                  "beta" : [

                  ],
                  "big" : 18446744073709551615,
                  "keys" : {
                    "10" : 4,
                    "9" : 5,
                    "B" : 1,
                    "_" : 3,
                    "a" : 2
                  },
                  "zeta" : -3
                }

                """)
    }

    @Test("Compact output with escaped slashes and no final newline, as in network files")
    func compactEscaped() throws {
        let style = JSONValue.Style(isIndented: false, escapesSlashes: true, endsWithNewline: false)
        let text = try JSONValue(encoding: Self.document.Alpha).text(style: style)
        #expect(
            text == #"{"a":[1,0.1,1e-07,1e+20,1.2345678901234568e+17,-0,5e-324,0.30000000000000004,1e+16,"#
                + #"1000000000000000],"e":[],"o":{},"s":"a\/b\"\\\n\té😀"}"#)
    }

    @Test("Codable documents round-trip through text; NaN and infinities as strings")
    func codableRoundTrip() throws {
        let text = try JSONValue(encoding: Self.document).text(style: .indented)
        let back = try JSONValue.parse(Array(text.utf8)).decode(Document.self)
        #expect(back == Self.document)
        let nan = try JSONValue.parse(Array(#"[1,"nan","-inf"]"#.utf8)).decode([Double].self)
        #expect(nan[0] == 1 && nan[1].isNaN && nan[2] == -.infinity)
    }

    @Test("Tree documents keep Swift's shortest form, control characters as \\u00XX")
    func treeOutput() {
        let tree = JSONValue.object([
            "x": .double(8), "y": .double(-.infinity), "n": .integer(-12), "s": .string("\u{8}\u{1F}"), "z": .null,
        ])
        #expect(tree.text == #"{"n":-12,"s":"\u0008\u001f","x":8.0,"y":"-inf","z":null}"# + "\n")
    }

    @Test("Decoding errors name the coding path")
    func decodingErrors() throws {
        let missing = try JSONValue.parse(Array(#"{"zeta":1}"#.utf8))
        #expect(throws: DecodingError.self) { try missing.decode(Document.self) }
        let mistyped = try JSONValue.parse(Array(#"{"a":[1,"x"],"e":[],"o":{},"s":""}"#.utf8))
        do {
            _ = try mistyped.decode(Inner.self)
            Issue.record("a string decoded as a double")
        } catch DecodingError.typeMismatch(_, let context) {
            #expect(context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue } == ["a", "1"])
        }
        let fraction = try JSONValue.parse(Array("[1.5]".utf8))
        #expect(throws: DecodingError.self) { try fraction.decode([Int].self) }
        #expect(try JSONValue.parse(Array("[300]".utf8)).decode([Int].self) == [300])
        #expect(throws: DecodingError.self) { try JSONValue.parse(Array("[300]".utf8)).decode([UInt8].self) }
    }

    @Test("Repeated keys below the top level may keep their last value; at the top level they never do")
    func nestedDuplicates() throws {
        let text = Array(#"{"a": {"b": 1, "b": 2}, "c": 3}"#.utf8)
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(text) }
        let lenient = try JSONValue.parse(text, nestedDuplicateKeys: .lastKept)
        #expect(lenient == .object(["a": .object(["b": .number("2")]), "c": .number("3")]))
        let error = #expect(throws: JSONSyntaxError.self) {
            try JSONValue.parse(Array(#"{"a": {"b": 1, "b": 2}, "c": 3, "a": 4}"#.utf8), nestedDuplicateKeys: .lastKept)
        }
        #expect(error?.duplicateKey == "a")
    }

    @Test(
        "Syntax errors give the byte offset; a repeated key is named",
        arguments: [
            (#"{"a":1,"a":2}"#, 10, "a"), ("[1,]", 3, nil), (#"{"a" 1}"#, 5, nil), ("\u{FF}", 0, nil),
            ("[1] x", 4, nil),
        ] as [(String, Int, String?)])
    func syntaxErrors(text: String, offset: Int, duplicate: String?) {
        let error = #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Array(text.utf8)) }
        #expect(error?.offset == offset)
        #expect(error?.duplicateKey == duplicate)
        #expect(error?.description.hasPrefix("invalid JSON at byte \(offset): ") == true)
    }
}
