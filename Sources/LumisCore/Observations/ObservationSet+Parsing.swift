import Foundation
import LumisStorage
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
        guard let json = try? JSONValue.parse(Array(text.utf8)) else {
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
        let root: JSONValue
        do {
            // A name repeated inside a value is not a repeated observation; the value is refused below.
            root = try JSONValue.parse(Array(data), nestedDuplicateKeys: .lastKept)
        } catch {
            if let repeated = error.duplicateKey {
                throw ObservationParseError("observation '\(repeated)' is given twice in \(path)")
            }
            throw ObservationParseError("observation file \(path) is not a JSON object of name: value")
        }
        guard case .object(let object) = root else {
            throw ObservationParseError("observation file \(path) is not a JSON object of name: value")
        }
        for name in object.keys.sorted() {
            guard values[name] == nil else {
                throw ObservationParseError("observation '\(name)' in \(path) is given twice")
            }
            do throws(ObservationParseError) {
                values[name] = try Self.tensor(fromJSON: object[name] ?? .null, name: name)
            } catch {
                throw ObservationParseError("\(path): \(error.description)")
            }
        }
    }

    /// Converts a JSON number or rectangular nested array into a tensor.
    static func tensor(fromJSON json: JSONValue, name: String) throws(ObservationParseError) -> Tensor {
        var scalars: [Double] = []
        var shape: [Int]? = nil
        func walk(_ node: JSONValue, depth: Int, dims: inout [Int]) throws(ObservationParseError) {
            switch node {
            case .array(let array):
                if depth == dims.count { dims.append(array.count) }
                guard depth < dims.count, dims[depth] == array.count else {
                    throw ObservationParseError("observation '\(name)' is not a rectangular array")
                }
                for element in array { try walk(element, depth: depth + 1, dims: &dims) }
            case .number(let text):
                if shape == nil { shape = dims }
                guard depth == dims.count, shape == dims else {
                    throw ObservationParseError("observation '\(name)' is not a rectangular array")
                }
                guard let value = Double(text), value.isFinite else {
                    throw ObservationParseError("observation '\(name)' is not finite")
                }
                scalars.append(value)
            default:
                throw ObservationParseError("observation '\(name)' holds something other than numbers")
            }
        }
        var dims: [Int] = []
        try walk(json, depth: 0, dims: &dims)
        guard !scalars.isEmpty else { throw ObservationParseError("observation '\(name)' is empty") }
        return Tensor(shape: dims, scalars: scalars)
    }
}
