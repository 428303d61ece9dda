import Foundation
import LumisTensor

/// Why an observation given on the command line or in a file could not be read.
public struct ObservationParseError: Error, Equatable, CustomStringConvertible {
    /// A one-line message naming the observation (or file) and what is wrong.
    public var description: String

    init(_ description: String) { self.description = description }
}

extension ObservationSet {
    /// Adds one `name=value` assignment, where the value is a number or a (nested) JSON array of numbers.
    ///
    /// `obs0=8` gives a scalar; `image=[[0,1],[1,0]]` a 2×2 tensor.
    /// - Throws: ``ObservationParseError`` naming the assignment when it is malformed or repeats a name.
    public mutating func add(assignment: String) throws(ObservationParseError) {
        guard let equals = assignment.firstIndex(of: "=") else {
            throw ObservationParseError("observation '\(assignment)' is not of the form name=value")
        }
        let name = String(assignment[..<equals]).trimmingCharacters(in: .whitespaces)
        let text = String(assignment[assignment.index(after: equals)...])
        guard !name.isEmpty else { throw ObservationParseError("observation '\(assignment)' has an empty name") }
        guard values[name] == nil else { throw ObservationParseError("observation '\(name)' is given twice") }
        guard let data = text.data(using: .utf8),
            let json = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        else {
            throw ObservationParseError("observation '\(name)': '\(text)' is neither a number nor a JSON array")
        }
        values[name] = try Self.tensor(fromJSON: json, name: name)
    }

    /// Reads a JSON object `{"name": value, ...}` of observations and adds them.
    ///
    /// - Throws: ``ObservationParseError`` naming the file and, where it applies, the observation.
    public mutating func add(contentsOfFile path: String) throws(ObservationParseError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ObservationParseError("cannot read observation file \(path)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ObservationParseError("observation file \(path) is not a JSON object of name: value")
        }
        // JSONSerialization keeps the last of repeated keys without a word; a repeated name is a mistake.
        if let repeated = Self.firstRepeatedTopLevelKey(in: data) {
            throw ObservationParseError("observation '\(repeated)' is given twice in \(path)")
        }
        for name in object.keys.sorted() {
            guard values[name] == nil else {
                throw ObservationParseError("observation '\(name)' in \(path) is given twice")
            }
            do throws(ObservationParseError) {
                values[name] = try Self.tensor(fromJSON: object[name] as Any, name: name)
            } catch {
                throw ObservationParseError("\(path): \(error.description)")
            }
        }
    }

    /// The first key that occurs twice among the members of the top-level JSON object in `data`, if any.
    ///
    /// - Precondition: `data` is valid JSON (checked by the caller), so strings and nesting are well formed.
    static func firstRepeatedTopLevelKey(in data: Data) -> String? {
        let bytes = [UInt8](data)
        var seen = Set<String>()
        var depth = 0
        var index = 0
        var expectsKey = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let start = index
                index += 1
                while index < bytes.count && bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                if depth == 1 && expectsKey {
                    // The token with its quotes is a JSON string: decoding it resolves escapes.
                    let token = Data(bytes[start...min(index, bytes.count - 1)])
                    if let key = (try? JSONSerialization.jsonObject(with: token, options: .fragmentsAllowed))
                        as? String
                    {
                        if !seen.insert(key).inserted { return key }
                    }
                    expectsKey = false
                }
            } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                depth += 1
                expectsKey = depth == 1 && byte == UInt8(ascii: "{")
            } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                depth -= 1
            } else if byte == UInt8(ascii: ",") && depth == 1 {
                expectsKey = true
            }
            index += 1
        }
        return nil
    }

    /// Converts a JSON number or rectangular nested array into a tensor.
    static func tensor(fromJSON json: Any, name: String) throws(ObservationParseError) -> Tensor {
        var scalars: [Double] = []
        var shape: [Int]? = nil
        func walk(_ node: Any, depth: Int, dims: inout [Int]) throws(ObservationParseError) {
            if let array = node as? [Any] {
                if depth == dims.count { dims.append(array.count) }
                guard depth < dims.count, dims[depth] == array.count else {
                    throw ObservationParseError("observation '\(name)' is not a rectangular array")
                }
                for element in array { try walk(element, depth: depth + 1, dims: &dims) }
            } else if let number = node as? NSNumber, String(cString: number.objCType) != "c" {
                // JSON true/false arrive as NSNumber of type "c" (char); they are not numbers here.
                if shape == nil { shape = dims }
                guard depth == dims.count, shape == dims else {
                    throw ObservationParseError("observation '\(name)' is not a rectangular array")
                }
                let value = number.doubleValue
                guard value.isFinite else { throw ObservationParseError("observation '\(name)' is not finite") }
                scalars.append(value)
            } else {
                throw ObservationParseError("observation '\(name)' holds something other than numbers")
            }
        }
        var dims: [Int] = []
        try walk(json, depth: 0, dims: &dims)
        guard !scalars.isEmpty else { throw ObservationParseError("observation '\(name)' is empty") }
        return Tensor(shape: dims, scalars: scalars)
    }
}
