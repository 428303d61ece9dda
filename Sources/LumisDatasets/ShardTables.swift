import LumisCore
import LumisDistributions
import LumisStorage
import LumisTensor

/// The string, site and trace-type tables of one shard, read back, and the decoder of its records.
struct ShardTables {
    struct Row {
        var key: SiteKey
        var distribution: Distribution?
        var value: Tensor
        /// Per parameter slot, the interned values; the first ones make up ``distribution``.
        var parameterTables: [[Tensor]]
    }

    private(set) var sites: [Row] = []
    private(set) var types: [[Int]] = []
    private(set) var typeCounts: [Int] = []

    /// Parses the payload of a tables section.
    init(parsing reader: inout ByteReader) throws(ByteReader.Malformed) {
        let stringCount = try reader.readIndex(below: reader.remaining + 1, "string count")
        var strings: [String] = []
        strings.reserveCapacity(stringCount)
        for _ in 0..<stringCount { strings.append(try reader.readString("string", lengthPrefix: .varint)) }
        let siteCount = try reader.readIndex(below: reader.remaining + 1, "site count")
        sites.reserveCapacity(siteCount)
        for _ in 0..<siteCount {
            let kindStart = reader.offset
            guard let kind = Trace.Kind(rawValue: try reader.read(UInt8.self, "site kind")) else {
                throw ByteReader.Malformed(offset: kindStart, reason: "unknown entry kind")
            }
            let address = strings[try reader.readIndex(below: strings.count, "site address id")]
            let zigzag = try reader.readVarint("site instance")
            let instance = Int(Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1))
            let name = strings[try reader.readIndex(below: strings.count, "site name id")]
            let flagStart = reader.offset
            let flags = try reader.read(UInt8.self, "site flags")
            guard flags <= 1 else {
                throw ByteReader.Malformed(offset: flagStart, reason: "unknown site flags \(flags)")
            }
            let codeStart = reader.offset
            let code = try reader.read(UInt8.self, "distribution kind")
            var distribution: Distribution? = nil
            var parameterTables: [[Tensor]] = []
            if code != 0 {
                guard let kind = DistributionKind(rawValue: code) else {
                    throw ByteReader.Malformed(offset: codeStart, reason: "unknown distribution kind \(code)")
                }
                for parameter in kind.parameterNames {
                    let count = try reader.readIndex(below: reader.remaining + 1, "\(kind.name) \(parameter) count")
                    guard count > 0 else { throw reader.fault("\(kind.name) \(parameter) has no representative") }
                    var table: [Tensor] = []
                    for _ in 0..<count { table.append(try reader.presentTensor("\(kind.name) \(parameter)")) }
                    parameterTables.append(table)
                }
                distribution = Distribution(kind: kind, parameters: parameterTables.map { $0[0] })
            }
            let value = try reader.presentTensor("site value")
            sites.append(
                Row(
                    key: SiteKey(
                        site: Site(
                            kind: kind, address: address, instance: instance, name: name, isControlled: flags == 1),
                        distributionKind: distribution?.kind),
                    distribution: distribution, value: value, parameterTables: parameterTables))
        }
        let typeCount = try reader.readIndex(below: reader.remaining + 1, "trace type count")
        for _ in 0..<typeCount {
            let length = try reader.readIndex(below: reader.remaining + 1, "trace type length")
            var siteList: [Int] = []
            siteList.reserveCapacity(length)
            for _ in 0..<length { siteList.append(try reader.readIndex(below: sites.count, "site id")) }
            types.append(siteList)
            typeCounts.append(try reader.readIndex(below: Int.max, "trace type count"))
        }
        guard reader.isAtEnd else { throw reader.fault("\(reader.remaining) unexpected bytes after the tables") }
    }

    /// Decodes one record payload (after its length and checksum).
    func decode(_ reader: inout ByteReader) throws(ByteReader.Malformed) -> Trace {
        let type = try reader.readIndex(below: types.count, "trace type id")
        var trace = Trace()
        trace.logWeight = try reader.readDouble("log weight")
        trace.logLikelihood = try reader.readDouble("log likelihood")
        trace.logPrior = try reader.readDouble("log prior")
        trace.result = try reader.tensor("result")
        trace.entries.reserveCapacity(types[type].count)
        for id in types[type] {
            let site = sites[id]
            let flagStart = reader.offset
            let flags = try reader.read(UInt8.self, "entry flags")
            guard flags & ~(ShardFormat.sameValue | ShardFormat.zeroLogProb | 0x0F) == 0 else {
                throw ByteReader.Malformed(offset: flagStart, reason: "invalid entry flags \(flags)")
            }
            var distribution: Distribution? = nil
            if let representative = site.distribution {
                var parameters: [Tensor] = []
                parameters.reserveCapacity(site.parameterTables.count)
                for (slot, table) in site.parameterTables.enumerated() {
                    switch (flags >> ShardFormat.parameterShift(slot)) & 3 {
                    case ShardFormat.inlineParameter: parameters.append(try reader.presentTensor("parameter"))
                    case ShardFormat.representativeParameter: parameters.append(table[0])
                    case ShardFormat.internedParameter:
                        parameters.append(table[try reader.readIndex(below: table.count, "interned parameter")])
                    default: throw ByteReader.Malformed(offset: flagStart, reason: "invalid entry flags \(flags)")
                    }
                }
                distribution = Distribution(kind: representative.kind, parameters: parameters)
            }
            let usedBits: UInt8 = site.parameterTables.isEmpty ? 0 : site.parameterTables.count == 1 ? 0x03 : 0x0F
            guard flags & 0x0F & ~usedBits == 0 else {
                throw ByteReader.Malformed(offset: flagStart, reason: "invalid entry flags \(flags)")
            }
            let value = flags & ShardFormat.sameValue != 0 ? site.value : try reader.presentTensor("entry value")
            let logProb = flags & ShardFormat.zeroLogProb != 0 ? 0 : try reader.readDouble("log probability")
            trace.entries.append(
                Trace.Entry(
                    kind: site.key.site.kind, address: site.key.site.address, instance: site.key.site.instance,
                    name: site.key.site.name,
                    distribution: distribution, value: value, logProb: logProb, isControlled: site.key.site.isControlled
                ))
        }
        guard reader.isAtEnd else { throw reader.fault("\(reader.remaining) unexpected bytes at the end of a record") }
        return trace
    }
}
