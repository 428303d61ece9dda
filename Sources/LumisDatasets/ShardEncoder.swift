import LumisCore
import LumisDistributions
import LumisStorage
import LumisTensor

/// Encodes the traces of one shard: interns strings, sites and trace types, and turns each trace into one
/// record; the tables are written after the last record.
///
/// A site's first occurrence in the shard is its representative: later occurrences leave out parameters and
/// values bit-identical to it, so constant priors and fixed observations cost one flag byte.
///
/// Without likelihoods, observe entries are encoded as if they had no distribution: their sites, records and
/// trace types carry none (see ``DatasetManifest/keepsLikelihoods``).
struct ShardEncoder {
    private struct Row {
        var key: SiteKey
        var addressID: Int
        var nameID: Int
        var distribution: Distribution?
        var value: Tensor
        /// Per parameter slot, the distinct values seen (the first is the representative's).
        var parameterTables: [[Tensor]]
        /// Per parameter slot, the table position last matched: checked first.
        var lastMatches: [Int]
    }

    /// Parameters with more elements are only matched against the representative (cheap to compare).
    static let internedElementLimit = 16
    /// The most distinct values a parameter slot of a site interns.
    static let internedValueLimit = 32

    private var strings: [String] = []
    private var stringIDs: [String: Int] = [:]
    private var sites: [Row] = []
    private var siteIDs: [SiteKey: Int] = [:]
    private var types: [[Int]] = []
    private var typeIDs: [[Int]: Int] = [:]
    private var typeCounts: [Int] = []
    /// Per trace type, the distributions of its first trace: the representatives the index lists.
    private var typeRepresentatives: [[Distribution?]] = []
    private var lastType = -1
    private var scratch: [Int] = []
    /// The last encoded record: length, checksum and payload.
    private(set) var record = ByteWriter()

    /// How many traces were encoded.
    private(set) var traceCount = 0
    /// Whether observe entries keep their distributions.
    let keepsLikelihoods: Bool

    /// Creates an encoder that stores observe entries' distributions only if `keepsLikelihoods`.
    init(keepsLikelihoods: Bool) {
        self.keepsLikelihoods = keepsLikelihoods
    }

    /// The distribution stored for `entry`: none for an observe when likelihoods are left out.
    private func stored(_ entry: Trace.Entry) -> Distribution? {
        entry.kind == .observe && !keepsLikelihoods ? nil : entry.distribution
    }

    /// Encodes `trace` into ``record``.
    mutating func encode(_ trace: Trace) {
        let type = typeID(of: trace)
        typeCounts[type] += 1
        traceCount += 1
        record.removeAll()
        record.write(UInt32(0))
        record.write(UInt32(0))
        record.writeVarint(type)
        record.write(trace.logWeight)
        record.write(trace.logLikelihood)
        record.write(trace.logPrior)
        record.tensor(trace.result)
        for (position, entry) in trace.entries.enumerated() {
            let siteID = types[type][position]
            let flagsOffset = record.count
            var flags: UInt8 = 0
            record.write(UInt8(0))
            if let distribution = stored(entry) {
                for (slot, parameter) in distribution.parameters.enumerated() {
                    let shift = ShardFormat.parameterShift(slot)
                    if let position = intern(parameter, site: siteID, slot: slot) {
                        if position == 0 {
                            flags |= ShardFormat.representativeParameter << shift
                        } else {
                            flags |= ShardFormat.internedParameter << shift
                            record.writeVarint(position)
                        }
                    } else {
                        record.tensor(parameter)
                    }
                }
            }
            let site = sites[siteID]
            if ShardFormat.identical(entry.value, site.value) {
                flags |= ShardFormat.sameValue
            } else {
                record.tensor(entry.value)
            }
            if entry.logProb.bitPattern == 0 {
                flags |= ShardFormat.zeroLogProb
            } else {
                record.write(entry.logProb)
            }
            record.overwrite(flags, at: flagsOffset)
        }
        let payloadCount = record.count - ShardFormat.recordPrefixSize
        precondition(payloadCount <= Int(UInt32.max), "a trace record over 4 GiB")
        let checksum = record.bytes.withUnsafeBytes {
            CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[ShardFormat.recordPrefixSize...]))
        }
        record.overwrite(UInt32(payloadCount), at: 0)
        record.overwrite(checksum, at: 4)
    }

    /// The position of `parameter` in the site's table for `slot`, adding it if there is room; `nil` if it is
    /// stored inline.
    private mutating func intern(_ parameter: Tensor, site id: Int, slot: Int) -> Int? {
        let last = sites[id].lastMatches[slot]
        if ShardFormat.identical(parameter, sites[id].parameterTables[slot][last]) { return last }
        let table = sites[id].parameterTables[slot]
        guard parameter.scalarCount <= Self.internedElementLimit else {
            return ShardFormat.identical(parameter, table[0]) ? 0 : nil
        }
        if let position = table.firstIndex(where: { ShardFormat.identical(parameter, $0) }) {
            sites[id].lastMatches[slot] = position
            return position
        }
        guard table.count < Self.internedValueLimit else { return nil }
        sites[id].parameterTables[slot].append(parameter)
        sites[id].lastMatches[slot] = table.count
        return table.count
    }

    /// The trace type of `trace`, interning new sites and types.
    ///
    /// Traces of one model mostly repeat the previous trace's type, which is checked first without hashing.
    private mutating func typeID(of trace: Trace) -> Int {
        if lastType >= 0, matches(trace, type: lastType) { return lastType }
        scratch.removeAll(keepingCapacity: true)
        for entry in trace.entries { scratch.append(siteID(of: entry)) }
        if let type = typeIDs[scratch] {
            lastType = type
            return type
        }
        let type = types.count
        types.append(scratch)
        typeIDs[scratch] = type
        typeCounts.append(0)
        typeRepresentatives.append(trace.entries.map(stored))
        lastType = type
        return type
    }

    private func matches(_ trace: Trace, type: Int) -> Bool {
        let siteList = types[type]
        guard siteList.count == trace.entries.count else { return false }
        for (entry, id) in zip(trace.entries, siteList) {
            let key = sites[id].key
            guard key.site == entry.site, key.distributionKind == stored(entry)?.kind else { return false }
        }
        return true
    }

    private mutating func siteID(of entry: Trace.Entry) -> Int {
        let distribution = stored(entry)
        let key = SiteKey(site: entry.site, distributionKind: distribution?.kind)
        if let id = siteIDs[key] { return id }
        let id = sites.count
        sites.append(
            Row(
                key: key, addressID: stringID(entry.address), nameID: stringID(entry.name),
                distribution: distribution, value: entry.value,
                parameterTables: (distribution?.parameters ?? []).map { [$0] },
                lastMatches: (distribution?.parameters ?? []).map { _ in 0 }))
        siteIDs[key] = id
        return id
    }

    private mutating func stringID(_ text: String) -> Int {
        if let id = stringIDs[text] { return id }
        let id = strings.count
        strings.append(text)
        stringIDs[text] = id
        return id
    }

    /// The tables section: length, checksum, then strings, sites and trace types.
    func tables() -> ByteWriter {
        var payload = ByteWriter()
        payload.writeVarint(strings.count)
        for text in strings { payload.write(text, lengthPrefix: .varint) }
        payload.writeVarint(sites.count)
        for site in sites {
            payload.write(site.key.site.kind.rawValue)
            payload.writeVarint(site.addressID)
            payload.writeVarint(
                UInt64(bitPattern: Int64(site.key.site.instance << 1) ^ Int64(site.key.site.instance >> 63)))
            payload.writeVarint(site.nameID)
            payload.write(UInt8(site.key.site.isControlled ? 1 : 0))
            payload.write(ShardFormat.code(site.key.distributionKind))
            for table in site.parameterTables {
                payload.writeVarint(table.count)
                for parameter in table { payload.tensor(parameter) }
            }
            payload.tensor(site.value)
        }
        payload.writeVarint(types.count)
        for (type, siteList) in types.enumerated() {
            payload.writeVarint(siteList.count)
            for id in siteList { payload.writeVarint(id) }
            payload.writeVarint(typeCounts[type])
        }
        var section = ByteWriter()
        section.write(UInt32(payload.count))
        section.write(payload.bytes.withUnsafeBytes { CRC32.checksum($0) })
        section.write(payload)
        return section
    }

    /// The trace types with their counts and the distributions of their first trace, in order of first occurrence.
    func traceTypes() -> [DatasetTraceType] {
        types.enumerated().map { type, siteList in
            DatasetTraceType(
                entries: zip(siteList, typeRepresentatives[type]).map { id, distribution in
                    let site = sites[id]
                    return DatasetTraceType.Entry(
                        kind: site.key.site.kind, address: site.key.site.address, instance: site.key.site.instance,
                        name: site.key.site.name, isControlled: site.key.site.isControlled, distribution: distribution)
                },
                count: typeCounts[type])
        }
    }
}
