public import LumisCore
public import LumisTensor

/// Compact, append-only columnar storage of many traces: what a posterior needs of each trace.
///
/// A trace keeps its log weight, its entries' sites and values, and its result. Distributions and per-entry
/// log probabilities are not stored. The storage is built so a million small traces fit in a few tens of
/// megabytes:
///
/// - Every distinct *site* (kind, address, instance, name, controlled flag, value shape) is stored once in a
///   site table.
/// - Every distinct *trace type* (the sequence of sites of a trace, plus the result's shape) is stored once; a
///   trace stores only its type id, its log weight and where its values start in one `Double` arena.
/// - An observed value that is bit-identical to the first value seen at its site is not repeated: the trace
///   type marks it as elided and it is read from the site's constant.
///
/// For a model with one scalar sample, two scalar observes and a scalar result this is 36 bytes per trace plus
/// array growth slack (see ``byteCount``).
public struct TraceStore: Sendable {
    /// A distinct recording site of the store with the shape of its values.
    public struct ShapedSite: Sendable, Hashable, SiteRecord {
        /// Where the values were recorded.
        public var site: Site
        /// The shape of the value recorded at this site.
        public var shape: [Int]

        /// Creates the site `site` with values of shape `shape`.
        public init(site: Site, shape: [Int]) {
            self.site = site
            self.shape = shape
        }

        /// Creates a site.
        public init(kind: Trace.Kind, address: String, instance: Int, name: String, isControlled: Bool, shape: [Int]) {
            self.site = Site(kind: kind, address: address, instance: instance, name: name, isControlled: isControlled)
            self.shape = shape
        }
    }

    /// One trace read back from the store.
    public struct StoredTrace: Sendable, Equatable {
        /// One entry read back: its site and its value.
        public struct Entry: Sendable, Equatable {
            /// Where the value was recorded.
            public var site: ShapedSite
            /// The recorded value.
            public var value: Tensor
        }

        /// The entries in execution order.
        public var entries: [Entry]
        /// The simulator's result, `nil` if it returned none.
        public var result: Tensor?
        /// The trace's log importance weight.
        public var logWeight: Double
    }

    // Site table. `siteConstantOffsets[s]` is the offset in `constants` of the first value seen at an observe
    // site, or -1 for other kinds.
    /// The distinct sites, in order of first appearance.
    public private(set) var sites: [ShapedSite] = []
    private(set) var siteIDs: [ShapedSite: UInt32] = [:]
    private(set) var siteShapeIDs: [Int32] = []
    private(set) var siteElementCounts: [Int] = []
    private(set) var siteConstantOffsets: [Int] = []
    private(set) var constants: [Double] = []

    // Interned shapes (of sites and results).
    private(set) var shapes: [[Int]] = []
    private var shapeIDs: [[Int]: Int32] = [:]

    // Trace types. A code is `siteID << 1 | elided`; `typeLocalOffsets` (parallel to `typeCodes`) holds the
    // value's offset from the trace's value start, or its offset in `constants` when elided.
    private(set) var typeCodes: [UInt32] = []
    private var typeLocalOffsets: [Int] = []
    private(set) var typeCodeStarts: [Int] = [0]
    private(set) var typeResultShapeIDs: [Int32] = []
    private var typeResultOffsets: [Int] = []
    private(set) var typeValueCounts: [Int] = []
    private var typesByHash: [Int: [Int32]] = [:]

    // Per trace.
    /// The log weight of every trace, in append order.
    public private(set) var logWeights: [Double] = []
    private(set) var traceTypes: [UInt32] = []
    private var valueStarts: [Int] = []
    private(set) var values: [Double] = []

    // Reused by `append(_:)` so recording does not allocate per trace.
    private var scratchCodes: [UInt32] = []
    private var lastType = -1

    /// Creates an empty store.
    public init() {}

    /// The number of traces stored.
    public var count: Int { logWeights.count }

    /// The number of distinct trace types (site sequences) seen.
    public var traceTypeCount: Int { typeResultShapeIDs.count }

    /// The bytes held by the store's buffers: the capacities of its arrays and hash tables times their element
    /// strides, plus the text of its strings.
    ///
    /// This is an honest lower bound of the heap the store owns (allocator headers are not counted).
    public var byteCount: Int {
        func bytes<T>(_ array: [T]) -> Int { array.capacity * MemoryLayout<T>.stride }
        var total = bytes(sites) + bytes(siteShapeIDs) + bytes(siteElementCounts) + bytes(siteConstantOffsets)
        total += bytes(constants) + bytes(shapes) + bytes(typeCodes) + bytes(typeLocalOffsets)
        total += bytes(typeCodeStarts) + bytes(typeResultShapeIDs) + bytes(typeResultOffsets)
        total += bytes(typeValueCounts) + bytes(logWeights) + bytes(traceTypes) + bytes(valueStarts)
        total += bytes(values) + bytes(scratchCodes)
        total += siteIDs.capacity * (MemoryLayout<ShapedSite>.stride + MemoryLayout<UInt32>.stride)
        total += shapeIDs.capacity * (MemoryLayout<[Int]>.stride + MemoryLayout<Int32>.stride)
        total += typesByHash.capacity * (MemoryLayout<Int>.stride + MemoryLayout<[Int32]>.stride)
        for site in sites { total += site.address.utf8.count + site.name.utf8.count + bytes(site.shape) }
        for shape in shapes { total += bytes(shape) }
        for bucket in typesByHash.values { total += bytes(bucket) }
        return total
    }

    /// The bytes every stored trace costs at the least: its log weight, type id, value offset and one value.
    ///
    /// A lower bound (traces with more values, array growth and the summary cost more), used to refuse a run
    /// that cannot fit before it starts.
    public static let minimumBytesPerTrace =
        MemoryLayout<Double>.stride + MemoryLayout<UInt32>.stride + MemoryLayout<Int>.stride
        + MemoryLayout<Double>.stride

    /// Reserves room for `traceCount` more traces of `valuesPerTrace` stored doubles each.
    ///
    /// - Precondition: both counts are non-negative.
    public mutating func reserveCapacity(traceCount: Int, valuesPerTrace: Int = 1) {
        precondition(traceCount >= 0 && valuesPerTrace >= 0, "Negative capacity")
        let traces = count + traceCount
        logWeights.reserveCapacity(traces)
        traceTypes.reserveCapacity(traces)
        valueStarts.reserveCapacity(traces)
        values.reserveCapacity(values.count + traceCount * valuesPerTrace)
    }

    /// Appends one trace.
    ///
    /// - Complexity: O(*n*) in the trace's entries and values; no allocation once the trace's sites and type
    ///   have been seen and the arrays have grown.
    public mutating func append(_ trace: Trace) {
        precondition(count < Int(UInt32.max), "TraceStore holds at most \(UInt32.max) traces")
        scratchCodes.removeAll(keepingCapacity: true)
        let valueStart = values.count
        // Traces of one model mostly repeat the previous trace's sites: check those before hashing.
        var lastRange = 0..<0
        if lastType >= 0 { lastRange = typeCodeStarts[lastType]..<typeCodeStarts[lastType + 1] }
        var followsLast = lastType >= 0 && lastRange.count == trace.entries.count
        for (position, entry) in trace.entries.enumerated() {
            var siteID: UInt32
            if followsLast, case let candidate = typeCodes[lastRange.lowerBound + position] >> 1,
                site(Int(candidate), matches: entry)
            {
                siteID = candidate
            } else {
                followsLast = false
                siteID = internSite(for: entry)
            }
            let elided = isElidable(entry.value, at: Int(siteID))
            if !elided { values.append(contentsOf: entry.value.scalars) }
            scratchCodes.append(siteID << 1 | (elided ? 1 : 0))
        }
        var resultShapeID: Int32 = -1
        if let result = trace.result {
            resultShapeID = internShape(result.shape)
            values.append(contentsOf: result.scalars)
        }
        let type = internType(resultShapeID: resultShapeID)
        lastType = type
        logWeights.append(trace.logWeight)
        traceTypes.append(UInt32(type))
        valueStarts.append(valueStart)
    }

    /// Appends every trace of `other` after this store's traces, keeping their order.
    ///
    /// Use this to merge per-worker chunks in trace-index order.
    /// - Complexity: O(*n*) in `other`'s traces and values plus its site and type tables.
    public mutating func append(contentsOf other: TraceStore) {
        precondition(count + other.count <= Int(UInt32.max), "TraceStore holds at most \(UInt32.max) traces")
        // Shapes first, in the other store's order: the merged tables then match those of one store that had
        // recorded both stores' traces in turn (ties between equally common shapes go to the earlier one).
        for shape in other.shapes { _ = internShape(shape) }
        // Map sites; an elided observe stays elided only if both stores saw the same first value there.
        var siteMap: [UInt32] = []
        var constantAgrees: [Bool] = []
        siteMap.reserveCapacity(other.sites.count)
        constantAgrees.reserveCapacity(other.sites.count)
        for (otherID, site) in other.sites.enumerated() {
            let otherOffset = other.siteConstantOffsets[otherID]
            let otherCount = other.siteElementCounts[otherID]
            if let id = siteIDs[site] {
                siteMap.append(id)
                let offset = siteConstantOffsets[Int(id)]
                var agrees = otherOffset < 0
                if otherOffset >= 0, offset >= 0 {
                    agrees = bitwiseEqual(
                        constants[offset..<offset + otherCount],
                        other.constants[otherOffset..<otherOffset + otherCount])
                }
                constantAgrees.append(agrees)
            } else {
                let constant = otherOffset >= 0 ? other.constants[otherOffset..<otherOffset + otherCount] : nil
                siteMap.append(addSite(site, constant: constant))
                constantAgrees.append(true)
            }
        }
        // Map trace types.
        var typeMap: [UInt32] = []
        var typeNeedsRewrite: [Bool] = []
        for otherType in 0..<other.traceTypeCount {
            scratchCodes.removeAll(keepingCapacity: true)
            var rewrite = false
            for code in other.typeCodes[other.typeCodeStarts[otherType]..<other.typeCodeStarts[otherType + 1]] {
                let otherSite = Int(code >> 1)
                var elided = code & 1 == 1
                if elided, !constantAgrees[otherSite] {
                    elided = false
                    rewrite = true
                }
                scratchCodes.append(siteMap[otherSite] << 1 | (elided ? 1 : 0))
            }
            let otherShape = other.typeResultShapeIDs[otherType]
            let shapeID = otherShape < 0 ? -1 : internShape(other.shapes[Int(otherShape)])
            typeMap.append(UInt32(internType(resultShapeID: shapeID)))
            typeNeedsRewrite.append(rewrite)
        }
        logWeights.append(contentsOf: other.logWeights)
        traceTypes.reserveCapacity(count)
        valueStarts.reserveCapacity(count)
        values.reserveCapacity(values.count + other.values.count)
        for index in 0..<other.count {
            let otherType = Int(other.traceTypes[index])
            let start = other.valueStarts[index]
            traceTypes.append(typeMap[otherType])
            valueStarts.append(values.count)
            if !typeNeedsRewrite[otherType] {
                values.append(contentsOf: other.values[start..<start + other.typeValueCounts[otherType]])
                continue
            }
            // Slow path: write out the observed values this store cannot elide.
            let codes = other.typeCodeStarts[otherType]..<other.typeCodeStarts[otherType + 1]
            for position in codes {
                let code = other.typeCodes[position]
                let otherSite = Int(code >> 1)
                let offset = other.typeLocalOffsets[position]
                let elementCount = other.siteElementCounts[otherSite]
                if code & 1 == 0 {
                    values.append(contentsOf: other.values[start + offset..<start + offset + elementCount])
                } else if !constantAgrees[otherSite] {
                    values.append(contentsOf: other.constants[offset..<offset + elementCount])
                }
            }
            let resultOffset = other.typeResultOffsets[otherType]
            values.append(contentsOf: other.values[start + resultOffset..<start + other.typeValueCounts[otherType]])
        }
        lastType = -1
    }

    /// Reads trace `index` back.
    ///
    /// - Precondition: `0 <= index < count`.
    public func storedTrace(at index: Int) -> StoredTrace {
        precondition(index >= 0 && index < count, "Trace index \(index) out of range 0..<\(count)")
        let type = Int(traceTypes[index])
        let start = valueStarts[index]
        var entries: [StoredTrace.Entry] = []
        for position in typeCodeStarts[type]..<typeCodeStarts[type + 1] {
            let code = typeCodes[position]
            let siteID = Int(code >> 1)
            let offset = typeLocalOffsets[position]
            let elementCount = siteElementCounts[siteID]
            let scalars =
                code & 1 == 1
                ? ContiguousArray(constants[offset..<offset + elementCount])
                : ContiguousArray(values[start + offset..<start + offset + elementCount])
            entries.append(.init(site: sites[siteID], value: Tensor(shape: sites[siteID].shape, scalars: scalars)))
        }
        var result: Tensor?
        let shapeID = typeResultShapeIDs[type]
        if shapeID >= 0 {
            let resultStart = start + typeResultOffsets[type]
            let scalars = ContiguousArray(values[resultStart..<start + typeValueCounts[type]])
            result = Tensor(shape: shapes[Int(shapeID)], scalars: scalars)
        }
        return StoredTrace(entries: entries, result: result, logWeight: logWeights[index])
    }

    /// The value `selector` picks in trace `index`, or `nil` if the trace lacks it.
    ///
    /// - Precondition: `0 <= index < count`.
    public func value(of selector: VariableSelector, inTrace index: Int) -> Tensor? {
        precondition(index >= 0 && index < count, "Trace index \(index) out of range 0..<\(count)")
        let type = Int(traceTypes[index])
        guard let location = location(of: selector, inType: type) else { return nil }
        let source = location.isConstant ? constants : values
        let first = location.isConstant ? location.offset : valueStarts[index] + location.offset
        return Tensor(
            shape: shapes[Int(location.shapeID)],
            scalars: ContiguousArray(source[first..<first + location.elementCount]))
    }

    /// The distinct names of sample and tag entries (observes are reported as observations), in UTF-8 order.
    public var variableNames: [String] {
        var names = Set<String>()
        for site in sites where site.kind != .observe && !site.name.isEmpty { names.insert(site.name) }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Whether some trace returned a result.
    public var hasResults: Bool { typeResultShapeIDs.contains { $0 >= 0 } }

    /// Selectors for the distinct unnamed sample sites, ordered by address text then instance.
    public var unnamedSampleSelectors: [VariableSelector] {
        var seen = Set<VariableSelector>()
        var keys: [(String, Int)] = []
        for site in sites where site.kind == .sample && site.name.isEmpty {
            if seen.insert(.address(site.address, instance: site.instance)).inserted {
                keys.append((site.address, site.instance))
            }
        }
        keys.sort { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        return keys.map { .address($0.0, instance: $0.1) }
    }

    // MARK: Columns

    /// Where a selected value lives in traces of one type.
    struct Location {
        var isConstant: Bool
        var offset: Int
        var elementCount: Int
        var shapeID: Int32
    }

    /// The selected values of many traces, gathered for statistics.
    struct Column {
        /// The traces holding the value with the column's shape, ascending.
        var traceIndices: [Int] = []
        /// The common shape of the gathered values.
        var shape: [Int] = []
        /// Elements per value.
        var elementCount = 0
        /// The gathered values, row-major, one after the other.
        var values: [Double] = []
        /// Considered traces lacking the value.
        var missingCount = 0
        /// Considered traces holding the value with another shape.
        var shapeMismatchCount = 0
    }

    /// Where `selector`'s value lives in traces of `type`, or `nil` if they lack it.
    func location(of selector: VariableSelector, inType type: Int) -> Location? {
        switch selector {
        case .result:
            let shapeID = typeResultShapeIDs[type]
            guard shapeID >= 0 else { return nil }
            return Location(
                isConstant: false, offset: typeResultOffsets[type],
                elementCount: typeValueCounts[type] - typeResultOffsets[type], shapeID: shapeID)
        case .name, .address:
            for position in (typeCodeStarts[type]..<typeCodeStarts[type + 1]).reversed() {
                let code = typeCodes[position]
                let siteID = Int(code >> 1)
                let site = sites[siteID]
                let matches: Bool =
                    switch selector {
                    case .name(let name): site.name == name
                    case .address(let address, let instance): site.instance == instance && site.address == address
                    case .result: false
                    }
                if matches {
                    return Location(
                        isConstant: code & 1 == 1, offset: typeLocalOffsets[position],
                        elementCount: siteElementCounts[siteID], shapeID: siteShapeIDs[siteID])
                }
            }
            return nil
        }
    }

    /// Gathers `selector`'s values from the traces `isIncluded` admits (all if `nil`).
    ///
    /// Values whose shape differs from the most common shape among included traces (ties: the shape interned
    /// first) are left out and counted.
    func column(for selector: VariableSelector, isIncluded: [Bool]?) -> Column {
        let locations = (0..<traceTypeCount).map { location(of: selector, inType: $0) }
        var shapeCounts = [Int](repeating: 0, count: shapes.count)
        var column = Column()
        for index in 0..<count where isIncluded?[index] ?? true {
            if let location = locations[Int(traceTypes[index])] {
                shapeCounts[Int(location.shapeID)] += 1
            } else {
                column.missingCount += 1
            }
        }
        guard
            let best = shapeCounts.indices.max(by: {
                shapeCounts[$0] < shapeCounts[$1] || (shapeCounts[$0] == shapeCounts[$1] && $0 > $1)
            }), shapeCounts[best] > 0
        else { return column }
        column.shape = shapes[best]
        column.elementCount = Tensor.elementCount(of: column.shape) ?? 0
        column.shapeMismatchCount = shapeCounts.reduce(0, +) - shapeCounts[best]
        column.traceIndices.reserveCapacity(shapeCounts[best])
        column.values.reserveCapacity(shapeCounts[best] * column.elementCount)
        constants.withUnsafeBufferPointer { constants in
            values.withUnsafeBufferPointer { values in
                for index in 0..<count where isIncluded?[index] ?? true {
                    guard let location = locations[Int(traceTypes[index])], Int(location.shapeID) == best else {
                        continue
                    }
                    column.traceIndices.append(index)
                    let source = location.isConstant ? constants : values
                    let first = location.isConstant ? location.offset : valueStarts[index] + location.offset
                    for element in first..<first + location.elementCount { column.values.append(source[element]) }
                }
            }
        }
        return column
    }

    // MARK: Decoding

    /// Adds a trace type of the given site codes (`siteID << 1 | elided`) and result shape, or finds it.
    ///
    /// - Precondition: every site id exists, only sites with a constant are elided, `resultShapeID` is -1 or a
    ///   shape id.
    mutating func addType(codes: some Collection<UInt32>, resultShapeID: Int32) -> Int {
        scratchCodes.removeAll(keepingCapacity: true)
        for code in codes {
            precondition(Int(code >> 1) < sites.count, "unknown site")
            precondition(code & 1 == 0 || siteConstantOffsets[Int(code >> 1)] >= 0, "elided site without constant")
            scratchCodes.append(code)
        }
        precondition(resultShapeID >= -1 && Int(resultShapeID) < shapes.count, "unknown shape")
        lastType = -1
        return internType(resultShapeID: resultShapeID)
    }

    /// Appends traces given by their type ids and log weights, whose values follow one another in `values`.
    ///
    /// - Precondition: every type exists and `values.count` is the sum of the types' value counts.
    mutating func appendTraces(types: [UInt32], logWeights: [Double], values newValues: [Double]) {
        precondition(types.count == logWeights.count, "one log weight per trace")
        precondition(count + types.count <= Int(UInt32.max), "TraceStore holds at most \(UInt32.max) traces")
        var start = values.count
        valueStarts.reserveCapacity(count + types.count)
        for type in types {
            precondition(Int(type) < traceTypeCount, "unknown trace type")
            valueStarts.append(start)
            start += typeValueCounts[Int(type)]
        }
        precondition(start == values.count + newValues.count, "value count does not match the trace types")
        traceTypes.append(contentsOf: types)
        self.logWeights.append(contentsOf: logWeights)
        values.append(contentsOf: newValues)
        lastType = -1
    }

    // MARK: Interning

    private func site(_ id: Int, matches entry: Trace.Entry) -> Bool {
        let site = sites[id]
        return site.site == entry.site && site.shape == entry.value.shape
    }

    private mutating func internSite(for entry: Trace.Entry) -> UInt32 {
        let site = ShapedSite(site: entry.site, shape: entry.value.shape)
        if let id = siteIDs[site] { return id }
        let constant = entry.kind == .observe ? entry.value.scalars[...] : nil
        return addSite(site, constant: constant)
    }

    mutating func addSite<C: Collection<Double>>(_ site: ShapedSite, constant: C?) -> UInt32 {
        precondition(sites.count < Int(UInt32.max >> 1), "TraceStore holds at most \(UInt32.max >> 1) sites")
        let id = UInt32(sites.count)
        sites.append(site)
        siteIDs[site] = id
        siteShapeIDs.append(internShape(site.shape))
        siteElementCounts.append(Tensor.elementCount(of: site.shape) ?? 0)
        if let constant {
            siteConstantOffsets.append(constants.count)
            constants.append(contentsOf: constant)
        } else {
            siteConstantOffsets.append(-1)
        }
        return id
    }

    mutating func internShape(_ shape: [Int]) -> Int32 {
        if let id = shapeIDs[shape] { return id }
        let id = Int32(shapes.count)
        shapes.append(shape)
        shapeIDs[shape] = id
        return id
    }

    private func isElidable(_ value: Tensor, at siteID: Int) -> Bool {
        let offset = siteConstantOffsets[siteID]
        guard offset >= 0 else { return false }
        return value.scalars.withUnsafeBufferPointer { scalars in
            constants.withUnsafeBufferPointer { constants in
                for index in 0..<scalars.count where scalars[index].bitPattern != constants[offset + index].bitPattern {
                    return false
                }
                return true
            }
        }
    }

    /// The id of the type made of `scratchCodes` and `resultShapeID`, adding it if new.
    private mutating func internType(resultShapeID: Int32) -> Int {
        if lastType >= 0, typeResultShapeIDs[lastType] == resultShapeID,
            typeCodes[typeCodeStarts[lastType]..<typeCodeStarts[lastType + 1]].elementsEqual(scratchCodes)
        {
            return lastType
        }
        var hasher = Hasher()
        hasher.combine(resultShapeID)
        for code in scratchCodes { hasher.combine(code) }
        let hash = hasher.finalize()
        for candidate in typesByHash[hash, default: []] {
            let type = Int(candidate)
            if typeResultShapeIDs[type] == resultShapeID,
                typeCodes[typeCodeStarts[type]..<typeCodeStarts[type + 1]].elementsEqual(scratchCodes)
            {
                return type
            }
        }
        let type = traceTypeCount
        var offset = 0
        for code in scratchCodes {
            let siteID = Int(code >> 1)
            typeCodes.append(code)
            if code & 1 == 1 {
                typeLocalOffsets.append(siteConstantOffsets[siteID])
            } else {
                typeLocalOffsets.append(offset)
                offset += siteElementCounts[siteID]
            }
        }
        typeCodeStarts.append(typeCodes.count)
        typeResultShapeIDs.append(resultShapeID)
        typeResultOffsets.append(offset)
        if resultShapeID >= 0 { offset += Tensor.elementCount(of: shapes[Int(resultShapeID)]) ?? 0 }
        typeValueCounts.append(offset)
        typesByHash[hash, default: []].append(Int32(type))
        return type
    }
}

/// Whether two runs of doubles hold the same bit patterns (so `-0.0`, `0.0` and NaN payloads stay distinct).
private func bitwiseEqual<A: Collection<Double>, B: Collection<Double>>(_ a: A, _ b: B) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}
