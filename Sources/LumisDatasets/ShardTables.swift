import LumisCore
import LumisDistributions
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
    init(parsing reader: inout ByteReader) throws(ByteReader.Fault) {
        let stringCount = try reader.index(below: reader.remaining + 1, "string count")
        var strings: [String] = []
        strings.reserveCapacity(stringCount)
        for _ in 0..<stringCount { strings.append(try reader.string("string")) }
        let siteCount = try reader.index(below: reader.remaining + 1, "site count")
        sites.reserveCapacity(siteCount)
        for _ in 0..<siteCount {
            let kindStart = reader.fileOffset
            guard let kind = Trace.Kind(rawValue: try reader.byte("site kind")) else {
                throw ByteReader.Fault(offset: kindStart, reason: "unknown entry kind")
            }
            let address = strings[try reader.index(below: strings.count, "site address id")]
            let zigzag = try reader.varint("site instance")
            let instance = Int(Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1))
            let name = strings[try reader.index(below: strings.count, "site name id")]
            let flagStart = reader.fileOffset
            let flags = try reader.byte("site flags")
            guard flags <= 1 else { throw ByteReader.Fault(offset: flagStart, reason: "unknown site flags \(flags)") }
            let codeStart = reader.fileOffset
            let code = try reader.byte("distribution kind")
            var distribution: Distribution? = nil
            var parameterTables: [[Tensor]] = []
            if code != 0 {
                guard let kind = DistributionKind(rawValue: code) else {
                    throw ByteReader.Fault(offset: codeStart, reason: "unknown distribution kind \(code)")
                }
                for parameter in kind.parameterNames {
                    let count = try reader.index(below: reader.remaining + 1, "\(kind.name) \(parameter) count")
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
        let typeCount = try reader.index(below: reader.remaining + 1, "trace type count")
        for _ in 0..<typeCount {
            let length = try reader.index(below: reader.remaining + 1, "trace type length")
            var siteList: [Int] = []
            siteList.reserveCapacity(length)
            for _ in 0..<length { siteList.append(try reader.index(below: sites.count, "site id")) }
            types.append(siteList)
            typeCounts.append(try reader.index(below: Int.max, "trace type count"))
        }
        guard reader.isAtEnd else { throw reader.fault("\(reader.remaining) unexpected bytes after the tables") }
    }

    /// Decodes one record payload (after its length and checksum).
    func decode(_ reader: inout ByteReader) throws(ByteReader.Fault) -> Trace {
        let type = try reader.index(below: types.count, "trace type id")
        var trace = Trace()
        trace.logWeight = try reader.double("log weight")
        trace.logLikelihood = try reader.double("log likelihood")
        trace.logPrior = try reader.double("log prior")
        trace.result = try reader.tensor("result")
        trace.entries.reserveCapacity(types[type].count)
        for id in types[type] {
            let site = sites[id]
            let flagStart = reader.fileOffset
            let flags = try reader.byte("entry flags")
            guard flags & ~(ShardFormat.sameValue | ShardFormat.zeroLogProb | 0x0F) == 0 else {
                throw ByteReader.Fault(offset: flagStart, reason: "invalid entry flags \(flags)")
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
                        parameters.append(table[try reader.index(below: table.count, "interned parameter")])
                    default: throw ByteReader.Fault(offset: flagStart, reason: "invalid entry flags \(flags)")
                    }
                }
                distribution = Distribution(kind: representative.kind, parameters: parameters)
            }
            let usedBits: UInt8 = site.parameterTables.isEmpty ? 0 : site.parameterTables.count == 1 ? 0x03 : 0x0F
            guard flags & 0x0F & ~usedBits == 0 else {
                throw ByteReader.Fault(offset: flagStart, reason: "invalid entry flags \(flags)")
            }
            let value = flags & ShardFormat.sameValue != 0 ? site.value : try reader.presentTensor("entry value")
            let logProb = flags & ShardFormat.zeroLogProb != 0 ? 0 : try reader.double("log probability")
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
