/// The names of a dataset's files.
enum DatasetLayout {
    /// The manifest, written once by rank 0.
    static let manifest = "manifest.json"
    /// What temporaries end with.
    static let temporarySuffix = ".tmp"

    /// The file of global shard `index`.
    static func shard(_ index: Int) -> String { "shard-" + padded(index, 6) + ".lumisds" }

    /// The index file of writer rank `rank`.
    static func index(rank: Int) -> String { "index-rank" + padded(rank, 5) + ".json" }

    /// The shard number in a shard file's (or its temporary's) name.
    static func shardNumber(_ name: String) -> Int? {
        number(in: name, prefix: "shard-", suffix: ".lumisds")
    }

    /// The rank number in an index file's (or its temporary's) name.
    static func rankNumber(_ name: String) -> Int? {
        number(in: name, prefix: "index-rank", suffix: ".json")
    }

    private static func number(in name: String, prefix: String, suffix: String) -> Int? {
        var rest = Substring(name)
        if rest.hasSuffix(temporarySuffix) { rest = rest.dropLast(temporarySuffix.count) }
        guard rest.hasPrefix(prefix), rest.hasSuffix(suffix) else { return nil }
        let digits = rest.dropFirst(prefix.count).dropLast(suffix.count)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return Int(digits)
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
