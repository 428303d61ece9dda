/// Codable documents through the JSON tree, so fixed-schema documents (dataset manifests and indexes, network
/// descriptions) are written and parsed by the one JSON writer and parser.
///
/// Numbers are written as Foundation's `JSONEncoder` wrote them, so files keep their bytes: integers exactly,
/// doubles in Swift's shortest round-trip form without a trailing `.0`, non-finite doubles as `"inf"`, `"-inf"`,
/// `"nan"`. `nil` optionals are left out. Decoding accepts what encoding writes; errors are `DecodingError`s with the
/// coding path.
extension JSONValue {
    /// The tree of `value`.
    ///
    /// - Throws: what `value`'s `encode(to:)` throws, or `EncodingError.invalidValue` for a value that encodes
    ///   nothing.
    package init(encoding value: some Encodable) throws {
        let encoder = TreeEncoder(codingPath: [])
        try value.encode(to: encoder)
        guard let node = encoder.node else {
            throw EncodingError.invalidValue(
                value, .init(codingPath: [], debugDescription: "\(type(of: value)) encoded no value"))
        }
        self = node.value
    }

    /// A value of type `T` read from this tree.
    ///
    /// - Throws: `DecodingError` naming the coding path of a missing or mistyped member.
    package func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try T(from: TreeDecoder(value: self, codingPath: []))
    }

    /// A double as Foundation's `JSONEncoder` wrote it.
    static func foundationDouble(_ value: Double) -> JSONValue {
        guard value.isFinite else { return double(value) }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        return .number(text)
    }
}

// MARK: Encoding

/// A value being built: a leaf, or a container its nested encoders keep adding to.
private final class Node {
    enum Content {
        case leaf(JSONValue)
        case object([String: Node])
        case array([Node])
    }

    var content: Content

    init(_ content: Content) { self.content = content }

    var value: JSONValue {
        switch content {
        case .leaf(let value): value
        case .object(let members): .object(members.mapValues(\.value))
        case .array(let items): .array(items.map(\.value))
        }
    }
}

private struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

private final class TreeEncoder: Encoder {
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    var node: Node?

    init(codingPath: [any CodingKey], node: Node? = nil) {
        self.codingPath = codingPath
        self.node = node
    }

    private func container(_ empty: Node.Content) -> Node {
        if let node {
            switch (node.content, empty) {
            case (.object, .object), (.array, .array): return node
            default: node.content = empty
            }
            return node
        }
        let created = Node(empty)
        node = created
        return created
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedContainer<Key>(node: container(.object([:])), codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        UnkeyedContainer(node: container(.array([])), codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleContainer(encoder: self) }

    /// A leaf for a primitive, or the tree a nested value builds.
    static func encode(_ value: some Encodable, at path: [any CodingKey]) throws -> Node {
        if let leaf = leaf(value) { return Node(.leaf(leaf)) }
        let encoder = TreeEncoder(codingPath: path)
        try value.encode(to: encoder)
        return encoder.node ?? Node(.object([:]))
    }

    /// The JSON of a primitive value, or `nil` for a value that encodes itself.
    static func leaf(_ value: some Encodable) -> JSONValue? {
        switch value {
        case let value as String: .string(value)
        case let value as Bool: .bool(value)
        case let value as Double: JSONValue.foundationDouble(value)
        case let value as Float: JSONValue.foundationDouble(Double(value))
        case let value as Int: .integer(value)
        case let value as Int8: .integer(value)
        case let value as Int16: .integer(value)
        case let value as Int32: .integer(value)
        case let value as Int64: .integer(value)
        case let value as UInt: .integer(value)
        case let value as UInt8: .integer(value)
        case let value as UInt16: .integer(value)
        case let value as UInt32: .integer(value)
        case let value as UInt64: .integer(value)
        default: nil
        }
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: Node
    let codingPath: [any CodingKey]

    private func set(_ child: Node, for key: Key) { set(child, for: key.stringValue) }

    private func set(_ child: Node, for name: String) {
        guard case .object(var members) = node.content else { return }
        members[name] = child
        node.content = .object(members)
    }

    mutating func encodeNil(forKey key: Key) throws { set(Node(.leaf(.null)), for: key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        set(try TreeEncoder.encode(value, at: codingPath + [key]), for: key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = Node(.object([:]))
        set(child, for: key)
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = Node(.array([]))
        set(child, for: key)
        return UnkeyedContainer(node: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        let child = Node(.object([:]))
        set(child, for: "super")
        return TreeEncoder(codingPath: codingPath, node: child)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let child = Node(.object([:]))
        set(child, for: key)
        return TreeEncoder(codingPath: codingPath + [key], node: child)
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]

    var count: Int {
        guard case .array(let items) = node.content else { return 0 }
        return items.count
    }

    private func append(_ child: Node) {
        guard case .array(var items) = node.content else { return }
        items.append(child)
        node.content = .array(items)
    }

    mutating func encodeNil() throws { append(Node(.leaf(.null))) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        append(try TreeEncoder.encode(value, at: codingPath + [IndexKey(count)]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        let child = Node(.object([:]))
        let path = codingPath + [IndexKey(count)]
        append(child)
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = Node(.array([]))
        let path = codingPath + [IndexKey(count)]
        append(child)
        return UnkeyedContainer(node: child, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let child = Node(.object([:]))
        let path = codingPath + [IndexKey(count)]
        append(child)
        return TreeEncoder(codingPath: path, node: child)
    }
}

private struct SingleContainer: SingleValueEncodingContainer {
    let encoder: TreeEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil() throws { encoder.node = Node(.leaf(.null)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        encoder.node = try TreeEncoder.encode(value, at: codingPath)
    }
}

// MARK: Decoding

private struct TreeDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func mismatch(_ expected: Any.Type, _ what: String) -> DecodingError {
        .typeMismatch(
            expected, .init(codingPath: codingPath, debugDescription: "expected \(what), found \(value.kind)"))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw mismatch([String: Any].self, "an object") }
        return KeyedDecodingContainer(KeyedReader<Key>(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else { throw mismatch([Any].self, "an array") }
        return UnkeyedReader(items: items, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    /// A primitive of type `T` from this value, or `nil` when `T` decodes itself.
    func primitive<T>(_ type: T.Type) throws -> T? {
        func number<N>(_ parse: (String) -> N?) throws -> N {
            guard case .number(let text) = value else { throw mismatch(N.self, "a number") }
            guard let number = parse(text) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: codingPath, debugDescription: "\(text) does not fit in \(N.self)"))
            }
            return number
        }
        func integer<I: FixedWidthInteger>(_: I.Type) throws -> I {
            try number { text in I(text) ?? Double(text).flatMap { I(exactly: $0) } }
        }
        switch type {
        case is String.Type:
            guard case .string(let text) = value else { throw mismatch(String.self, "a string") }
            return text as? T
        case is Bool.Type:
            guard case .bool(let flag) = value else { throw mismatch(Bool.self, "true or false") }
            return flag as? T
        case is Double.Type: return try double() as? T
        case is Float.Type: return Float(try double()) as? T
        case is Int.Type: return try integer(Int.self) as? T
        case is Int8.Type: return try integer(Int8.self) as? T
        case is Int16.Type: return try integer(Int16.self) as? T
        case is Int32.Type: return try integer(Int32.self) as? T
        case is Int64.Type: return try integer(Int64.self) as? T
        case is UInt.Type: return try integer(UInt.self) as? T
        case is UInt8.Type: return try integer(UInt8.self) as? T
        case is UInt16.Type: return try integer(UInt16.self) as? T
        case is UInt32.Type: return try integer(UInt32.self) as? T
        case is UInt64.Type: return try integer(UInt64.self) as? T
        default: return nil
        }
    }

    private func double() throws -> Double {
        guard let number = value.doubleValue else { throw mismatch(Double.self, "a number") }
        return number
    }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if let primitive = try primitive(type) { return primitive }
        return try T(from: self)
    }
}

extension TreeDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool { value == .null }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeValue(type) }
}

private struct KeyedReader<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let codingPath: [any CodingKey]

    var allKeys: [Key] { members.keys.compactMap(Key.init(stringValue:)) }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    private func member(_ key: Key) throws -> TreeDecoder {
        guard let value = members[key.stringValue] else {
            throw DecodingError.keyNotFound(
                key, .init(codingPath: codingPath, debugDescription: "no member \"\(key.stringValue)\""))
        }
        return TreeDecoder(value: value, codingPath: codingPath + [key])
    }

    func decodeNil(forKey key: Key) throws -> Bool { try member(key).decodeNil() }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let decoder = try member(key)
        if decoder.value == .null {
            throw DecodingError.valueNotFound(
                type, .init(codingPath: decoder.codingPath, debugDescription: "null where \(type) was expected"))
        }
        return try decoder.decodeValue(type)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try member(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try member(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        TreeDecoder(value: members["super"] ?? .null, codingPath: codingPath)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder { try member(key) }
}

private struct UnkeyedReader: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let codingPath: [any CodingKey]
    var currentIndex = 0

    init(items: [JSONValue], codingPath: [any CodingKey]) {
        self.items = items
        self.codingPath = codingPath
    }

    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next(_ type: Any.Type) throws -> TreeDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                type, .init(codingPath: codingPath + [IndexKey(currentIndex)], debugDescription: "array too short"))
        }
        defer { currentIndex += 1 }
        return TreeDecoder(value: items[currentIndex], codingPath: codingPath + [IndexKey(currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next(type).decodeValue(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try next([String: Any].self).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next([Any].self).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { try next(Any.self) }
}

extension JSONValue {
    /// The kind of value, for error messages.
    fileprivate var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
