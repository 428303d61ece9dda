import LumisStorage
import LumisTensor

extension PosteriorSummary {
    /// The posterior file's text: deterministic for equal summaries (sorted keys, shortest round-trip doubles,
    /// no timestamps), one line plus a trailing newline.
    public func jsonText() -> String { jsonValue.text }

    var jsonValue: JSONValue {
        var observations: [String: JSONValue] = [:]
        for (name, value) in metadata.observations {
            observations[name] = .object([
                "shape": .array(value.shape.map(JSONValue.integer)),
                "values": .array(value.scalars.map(JSONValue.double)),
            ])
        }
        var members: [String: JSONValue] = [
            "format": .string(Self.formatName),
            "version": .integer(Self.formatVersion),
            "engine": .string(metadata.engine),
            "seed": metadata.seed.map(JSONValue.integer) ?? .null,
            "model": .string(metadata.model),
            "observations": .object(observations),
            "failed_traces": .integer(metadata.failedTraces),
            "restarts": .integer(metadata.restarts),
            "weighting": .string(weighting.rawValue),
            "traces": .integer(traceCount),
            "nan_weight_traces": .integer(nanWeightCount),
            "ess": effectiveSampleSize.map(JSONValue.double) ?? .null,
            "log_evidence": logEvidence.map(JSONValue.double) ?? .null,
            "variables": .object(variables.mapValues(\.jsonValue)),
            "undefined_variables": .array(undefinedVariables.map(JSONValue.string)),
            "result": result?.jsonValue ?? .null,
            "addresses": .object(addresses.mapValues(\.jsonValue)),
        ]
        if let mcmc { members["mcmc"] = mcmc.jsonValue }
        if let chains { members["chains"] = .array(chains.map(\.jsonValue)) }
        if let ic { members["ic"] = ic.jsonValue }
        // Added only when there are some, so that other files stay as they were.
        if !metadata.unusedObservations.isEmpty {
            members["unused_observations"] = .array(metadata.unusedObservations.map(JSONValue.string))
        }
        return .object(members)
    }

    /// Parses a posterior file's text.
    ///
    /// - Parameters:
    ///   - jsonText: the file's bytes.
    ///   - path: the file's path, used in error messages.
    /// - Throws: ``PosteriorFileError`` naming `path` and what is wrong: invalid JSON (with byte offset), not a
    ///   Lumis posterior, an unsupported version, or a missing or mistyped field (with its key path).
    public init(jsonText: some Collection<UInt8>, path: String) throws(PosteriorFileError) {
        let root: JSONValue
        do {
            root = try JSONValue.parse(Array(jsonText))
        } catch {
            throw PosteriorFileError(path: path, reason: "invalid JSON at byte \(error.offset): \(error.message)")
        }
        do {
            try self.init(root: Field(value: root, keyPath: ""))
        } catch {
            throw PosteriorFileError(path: path, reason: error.message)
        }
    }

    private init(root: Field) throws(FieldError) {
        guard case .object = root.value else { throw FieldError(message: "top level is not a JSON object") }
        guard case .string(let format) = try root.member("format").value, format == Self.formatName else {
            throw FieldError(message: "not a Lumis posterior file (\"format\" is not \"\(Self.formatName)\")")
        }
        let version = try root.member("version").integer()
        guard version == Self.formatVersion else {
            throw FieldError(
                message: "unsupported format version \(version); this lumis reads version \(Self.formatVersion)")
        }
        var observations: [String: Tensor] = [:]
        for (name, field) in try root.member("observations").members() {
            let shape = try field.member("shape").array().map { field throws(FieldError) in try field.count() }
            let values = try field.member("values").array().map { field throws(FieldError) in try field.double() }
            guard Tensor.elementCount(of: shape) == values.count else {
                throw FieldError(message: "\(field.keyPath): shape \(shape) does not hold \(values.count) values")
            }
            observations[name] = Tensor(shape: shape, scalars: values)
        }
        let seedField = try root.member("seed")
        let seed: UInt64?
        if case .null = seedField.value {
            seed = nil
        } else if case .number(let text) = seedField.value, let value = UInt64(text) {
            seed = value
        } else {
            throw FieldError(message: "\(seedField.keyPath): expected an unsigned 64-bit integer or null")
        }
        metadata = PosteriorMetadata(
            engine: try root.member("engine").string(), seed: seed, model: try root.member("model").string(),
            observations: observations, failedTraces: try root.member("failed_traces").count(),
            restarts: try root.member("restarts").count())
        if let unused = try root.optionalMember("unused_observations") {
            metadata.unusedObservations = try unused.array().map { field throws(FieldError) in try field.string() }
        }
        let weightingField = try root.member("weighting")
        guard let weighting = Posterior.Weighting(rawValue: try weightingField.string()) else {
            throw FieldError(message: "\(weightingField.keyPath): expected \"importance\" or \"uniform\"")
        }
        self.weighting = weighting
        traceCount = try root.member("traces").count()
        nanWeightCount = try root.member("nan_weight_traces").count()
        effectiveSampleSize = try root.member("ess").optional { field throws(FieldError) in try field.double() }
        logEvidence = try root.member("log_evidence").optional { field throws(FieldError) in try field.double() }
        variables = try root.member("variables").statisticsMembers()
        undefinedVariables = try root.member("undefined_variables").array().map { field throws(FieldError) in
            try field.string()
        }
        result = try root.member("result").optional { field throws(FieldError) in try VariableStatistics(field: field) }
        addresses = try root.member("addresses").statisticsMembers()
        if case .object(let members) = root.value, members["mcmc"] != nil {
            mcmc = try MCMCSummary(field: root.member("mcmc"))
        }
        chains = try root.optionalMember("chains")?.array().map { field throws(FieldError) in
            try ChainRecord(field: field)
        }
        ic = try root.optionalMember("ic").map { field throws(FieldError) in try CompiledSummary(field: field) }
    }
}

extension VariableStatistics {
    /// Scalars are written as numbers, other shapes as flat row-major arrays.
    var jsonValue: JSONValue {
        let isScalar = shape.isEmpty
        func numbers(_ values: [Double]) -> JSONValue {
            isScalar && values.count == 1 ? .double(values[0]) : .array(values.map(JSONValue.double))
        }
        var quantileMembers: [String: JSONValue] = [:]
        for (level, values) in quantiles { quantileMembers[level.description] = numbers(values) }
        var members: [String: JSONValue] = [
            "shape": .array(shape.map(JSONValue.integer)),
            "count": .integer(count),
            "missing": .integer(missingCount),
            "shape_mismatch": .integer(shapeMismatchCount),
            "mean": numbers(mean),
            "stddev": numbers(stddev),
            "quantiles": .object(quantileMembers),
        ]
        if let diagnostics {
            members["r_hat"] = numbers(diagnostics.rHat)
            members["ess_bulk"] = numbers(diagnostics.essBulk)
            members["ess_tail"] = numbers(diagnostics.essTail)
            members["mcse_mean"] = numbers(diagnostics.mcseMean)
            members["chains"] = .integer(diagnostics.chainCount)
            members["draws_per_chain"] = .integer(diagnostics.drawsPerChain)
        }
        return .object(members)
    }

    fileprivate init(field: Field) throws(FieldError) {
        let shape = try field.member("shape").array().map { field throws(FieldError) in try field.count() }
        guard let elementCount = Tensor.elementCount(of: shape) else {
            throw FieldError(message: "\(field.keyPath).shape: \(shape) is too large")
        }
        func numbers(_ field: Field) throws(FieldError) -> [Double] {
            let values: [Double]
            if shape.isEmpty, case .array = field.value {
                throw FieldError(message: "\(field.keyPath): expected a number for a scalar variable")
            } else if shape.isEmpty {
                values = [try field.double()]
            } else {
                values = try field.array().map { field throws(FieldError) in try field.double() }
            }
            guard values.count == elementCount else {
                throw FieldError(message: "\(field.keyPath): \(values.count) values for shape \(shape)")
            }
            return values
        }
        var quantiles: [Double: [Double]] = [:]
        for (key, value) in try field.member("quantiles").members() {
            guard let level = Double(key), level >= 0, level <= 1 else {
                throw FieldError(message: "\(value.keyPath): quantile level \"\(key)\" is not a number in [0, 1]")
            }
            quantiles[level] = try numbers(value)
        }
        self.init(
            shape: shape, count: try field.member("count").count(), missingCount: try field.member("missing").count(),
            shapeMismatchCount: try field.member("shape_mismatch").count(), mean: try numbers(field.member("mean")),
            stddev: try numbers(field.member("stddev")), quantiles: quantiles)
        if let rHat = try field.optionalMember("r_hat") {
            diagnostics = ChainDiagnostics(
                chainCount: try field.member("chains").count(),
                drawsPerChain: try field.member("draws_per_chain").count(),
                rHat: try numbers(rHat), essBulk: try numbers(field.member("ess_bulk")),
                essTail: try numbers(field.member("ess_tail")), mcseMean: try numbers(field.member("mcse_mean")))
        }
    }
}

extension ChainRecord {
    var jsonValue: JSONValue {
        func rate(_ value: Double?) -> JSONValue { value.map(JSONValue.double) ?? .null }
        var sites: [String: JSONValue] = [:]
        for (address, proposals) in statistics.proposalsByAddress {
            sites[address] = .object([
                "proposals": .integer(proposals),
                "accepted": .integer(statistics.acceptedByAddress[address] ?? 0),
                "acceptance_rate": rate(statistics.acceptanceRate(at: address)),
            ])
        }
        return .object([
            "draws": .integer(draws),
            "proposals": .integer(statistics.proposals),
            "accepted": .integer(statistics.accepted),
            "acceptance_rate": rate(statistics.acceptanceRate),
            "reused_samples": .integer(statistics.reusedSamples),
            "controlled_samples": .integer(statistics.controlledSamples),
            "reuse_rate": rate(statistics.reuseRate),
            "restarts": .integer(statistics.restarts),
            "discarded_proposals": .integer(statistics.discardedProposals),
            "addresses": .object(sites),
        ])
    }

    fileprivate init(field: Field) throws(FieldError) {
        var statistics = ChainStatistics()
        statistics.proposals = try field.member("proposals").count()
        statistics.accepted = try field.member("accepted").count()
        statistics.reusedSamples = try field.member("reused_samples").count()
        statistics.controlledSamples = try field.member("controlled_samples").count()
        statistics.restarts = try field.member("restarts").count()
        statistics.discardedProposals = try field.member("discarded_proposals").count()
        for (address, site) in try field.member("addresses").members() {
            statistics.proposalsByAddress[address] = try site.member("proposals").count()
            statistics.acceptedByAddress[address] = try site.member("accepted").count()
        }
        self.init(draws: try field.member("draws").count(), statistics: statistics)
    }
}

/// A problem in a parsed posterior document, with the offending key path.
struct FieldError: Error {
    var message: String
}

/// A JSON value with the key path that leads to it, for error messages.
struct Field {
    var value: JSONValue
    var keyPath: String

    func member(_ key: String) throws(FieldError) -> Field {
        let path = keyPath.isEmpty ? key : "\(keyPath).\(key)"
        guard case .object(let members) = value else { throw FieldError(message: "\(keyPath): expected an object") }
        guard let member = members[key] else { throw FieldError(message: "missing key \"\(path)\"") }
        return Field(value: member, keyPath: path)
    }

    /// The member `key`, or `nil` if absent (keys added in later revisions of the format).
    func optionalMember(_ key: String) throws(FieldError) -> Field? {
        guard case .object(let members) = value else { throw FieldError(message: "\(keyPath): expected an object") }
        guard let member = members[key] else { return nil }
        return Field(value: member, keyPath: keyPath.isEmpty ? key : "\(keyPath).\(key)")
    }

    /// The members in key order, so the first error reported does not depend on hashing.
    func members() throws(FieldError) -> [(key: String, field: Field)] {
        guard case .object(let members) = value else { throw FieldError(message: "\(keyPath): expected an object") }
        return members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { key in
            (key, Field(value: members[key]!, keyPath: "\(keyPath).\(key)"))  // key comes from `members`
        }
    }

    func statisticsMembers() throws(FieldError) -> [String: VariableStatistics] {
        var statistics: [String: VariableStatistics] = [:]
        for (key, member) in try members() { statistics[key] = try VariableStatistics(field: member) }
        return statistics
    }

    func array() throws(FieldError) -> [Field] {
        guard case .array(let items) = value else { throw FieldError(message: "\(keyPath): expected an array") }
        return items.enumerated().map { Field(value: $1, keyPath: "\(keyPath)[\($0)]") }
    }

    func string() throws(FieldError) -> String {
        guard case .string(let text) = value else { throw FieldError(message: "\(keyPath): expected a string") }
        return text
    }

    func integer() throws(FieldError) -> Int {
        guard case .number(let text) = value, let integer = Int(text) else {
            throw FieldError(message: "\(keyPath): expected an integer")
        }
        return integer
    }

    /// A non-negative integer.
    func count() throws(FieldError) -> Int {
        let integer = try integer()
        guard integer >= 0 else { throw FieldError(message: "\(keyPath): expected a non-negative integer") }
        return integer
    }

    /// A number, or one of the strings "inf", "-inf", "nan" standing for non-finite values.
    func double() throws(FieldError) -> Double {
        guard let number = value.doubleValue else {
            throw FieldError(message: "\(keyPath): expected a number (or \"inf\", \"-inf\", \"nan\")")
        }
        return number
    }

    func optional<T>(_ body: (Field) throws(FieldError) -> T) throws(FieldError) -> T? {
        if case .null = value { return nil }
        return try body(self)
    }
}
