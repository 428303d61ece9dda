public import LumisCore
public import LumisDistributions

/// A distinct sequence of recording sites in a dataset (pyprob's trace type), how many traces have it, and a
/// representative distribution per entry, so a network can create its proposal heads before reading a trace.
public struct DatasetTraceType: Sendable, Equatable {
    /// One entry of the type: everything about a trace entry except its value, plus a representative
    /// distribution.
    public struct Entry: Sendable, Equatable, SiteRecord {
        /// Where the entry was recorded.
        public var site: Site
        /// The distribution of this entry in the type's first trace in the dataset (a representative prior of a
        /// sample, a likelihood of an observe); `nil` for tags.
        public var distribution: Distribution?

        /// Creates an entry.
        public init(
            kind: Trace.Kind, address: String, instance: Int, name: String, isControlled: Bool,
            distribution: Distribution?
        ) {
            self.site = Site(kind: kind, address: address, instance: instance, name: name, isControlled: isControlled)
            self.distribution = distribution
        }

        /// What identifies the entry's site (its distribution's kind, not its parameters).
        var key: SiteKey { SiteKey(site: site, distributionKind: distribution?.kind) }
    }

    /// The entries in execution order.
    public var entries: [Entry]
    /// How many traces have this type.
    public var count: Int

    /// Creates a trace type.
    public init(entries: [Entry], count: Int) {
        self.entries = entries
        self.count = count
    }

    /// Merges per-shard tables (given in global shard order) into one: counts add up, each type keeps the
    /// representatives of its first occurrence, and types are in order of first occurrence.
    static func merge(_ tables: some Sequence<[DatasetTraceType]>) -> [DatasetTraceType] {
        var merged: [DatasetTraceType] = []
        var positions: [[SiteKey]: Int] = [:]
        for table in tables {
            for type in table {
                let key = type.entries.map(\.key)
                if let position = positions[key] {
                    merged[position].count += type.count
                } else {
                    positions[key] = merged.count
                    merged.append(type)
                }
            }
        }
        return merged
    }
}

/// What identifies a recording site in a shard's site table: the site and its distribution's kind.
struct SiteKey: Hashable {
    var site: Site
    var distributionKind: DistributionKind?
}
