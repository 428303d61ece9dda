import Foundation
import LumisStorage

extension CalibrationReport {
    /// The file's JSON text (docs/calibration.md): keys sorted, doubles in shortest round-trip form, so equal
    /// reports give equal bytes.
    public func jsonText() -> String { jsonValue.text }

    var jsonValue: JSONValue {
        func levelMembers(_ body: (Double) -> JSONValue) -> JSONValue {
            .object(Dictionary(uniqueKeysWithValues: Self.levels.map { ("\($0)", body($0)) }))
        }
        var members: [String: JSONValue] = [:]
        for (label, variable) in variables {
            var fields: [String: JSONValue] = [
                "events": .integer(variable.events),
                "undefined_events": .integer(variable.undefinedEvents),
                "coverage": levelMembers { .double(variable.coverage(level: $0)) },
                "coverage_band": levelMembers { level in
                    let band = variable.coverageBand(level: level)
                    return .array([.double(band.lowerBound), .double(band.upperBound)])
                },
                "ks_statistic": variable.ksStatistic.map(JSONValue.double) ?? .null,
                "ks_p": variable.ksPValue.map(JSONValue.double) ?? .null,
                "pit": .array(variable.pits.map { $0.map(JSONValue.double) ?? .null }),
                "flags": .array(variable.flags.map(JSONValue.string)),
            ]
            if let mean = variable.meanTrueClassProbability {
                fields["true_class_probability"] = .double(mean)
                fields["true_class_probabilities"] = .array(variable.trueClassProbabilities.map(JSONValue.double))
            }
            members[label] = .object(fields)
        }
        var root: [String: JSONValue] = [
            "format": .string(Self.formatName),
            "version": .integer(Self.formatVersion),
            "engine": .string(engine),
            "settings": settings.jsonValue,
            "model": .string(model),
            "seed": .integer(seed),
            "events": .integer(events),
            "traces_per_event": .integer(tracesPerEvent),
            "median_ess": .double(medianEffectiveSampleSize),
            "ess": .array(effectiveSampleSizes.map(JSONValue.double)),
            "miscalibrated": .bool(isMiscalibrated),
            "variables": .object(members),
        ]
        if let requestedEvents { root["requested_events"] = .integer(requestedEvents) }
        return .object(root)
    }

    /// Writes the file atomically (LumisStorage's staged write): readers see the old file or the complete new
    /// one.
    ///
    /// - Throws: ``CalibrationFileError`` naming `path` and the failing step.
    public func write(toFile path: String) throws(CalibrationFileError) {
        do {
            try writeAtomically(Array(jsonText().utf8), toFile: path)
        } catch {
            throw CalibrationFileError(path: error.path, reason: error.reason)
        }
    }

    /// Reads a calibration file.
    ///
    /// - Throws: ``CalibrationFileError`` naming `path` and what is wrong.
    public init(contentsOfFile path: String) throws(CalibrationFileError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CalibrationFileError(path: path, reason: "cannot read (missing or unreadable)")
        }
        try self.init(jsonText: Array(data), path: path)
    }

    /// Whether `bytes` look like a calibration file (its `format` key), for commands that read either kind.
    public static func isCalibrationFile(_ bytes: [UInt8]) -> Bool {
        guard case .object(let members)? = try? JSONValue.parse(bytes) else { return false }
        return members["format"] == .string(formatName)
    }

    /// Parses a calibration file's text.
    ///
    /// - Throws: ``CalibrationFileError`` naming `path` and what is wrong: invalid JSON, not a calibration file, an
    ///   unsupported version, or a missing or mistyped field (with its key path).
    public init(jsonText: some Collection<UInt8>, path: String) throws(CalibrationFileError) {
        let root: JSONValue
        do {
            root = try JSONValue.parse(Array(jsonText))
        } catch {
            throw CalibrationFileError(path: path, reason: "invalid JSON at byte \(error.offset): \(error.message)")
        }
        do {
            try self.init(root: Field(value: root, keyPath: ""))
        } catch {
            throw CalibrationFileError(path: path, reason: error.message)
        }
    }

    private init(root: Field) throws(FieldError) {
        guard case .object = root.value else { throw FieldError(message: "top level is not a JSON object") }
        guard case .string(let format) = try root.member("format").value, format == Self.formatName else {
            throw FieldError(message: "not a Lumis calibration file (\"format\" is not \"\(Self.formatName)\")")
        }
        let version = try root.member("version").integer()
        guard version == Self.formatVersion else {
            throw FieldError(
                message: "unsupported format version \(version); this lumis reads version \(Self.formatVersion)")
        }
        let seedField = try root.member("seed")
        guard case .number(let seedText) = seedField.value, let seed = UInt64(seedText) else {
            throw FieldError(message: "\(seedField.keyPath): expected an unsigned 64-bit integer")
        }
        let sizes = try root.member("ess").array().map { field throws(FieldError) in try field.double() }
        var variables: [String: Variable] = [:]
        for (label, field) in try root.member("variables").members() {
            let pits = try field.member("pit").array().map { field throws(FieldError) -> Double? in
                try field.optional { field throws(FieldError) in try field.double() }
            }
            let probabilities =
                try field.optionalMember("true_class_probabilities")?.array().map { field throws(FieldError) in
                    try field.double()
                } ?? []
            variables[label] = Variable(pits: pits, trueClassProbabilities: probabilities)
        }
        self.init(
            engine: try root.member("engine").string(), model: try root.member("model").string(), seed: seed,
            tracesPerEvent: try root.member("traces_per_event").count(), effectiveSampleSizes: sizes,
            variables: variables,
            settings: try root.optionalMember("settings").map { field throws(FieldError) in try Settings(field: field) }
                ?? Settings())
        let events = try root.member("events").count()
        guard events == sizes.count else {
            throw FieldError(message: "events is \(events) but ess holds \(sizes.count) values")
        }
        if let requested = try root.optionalMember("requested_events") {
            let count = try requested.count()
            guard count > events else {
                throw FieldError(message: "requested_events \(count) is not above events \(events)")
            }
            requestedEvents = count
        }
    }
}

/// A calibration file that cannot be written or read, naming the file and what is wrong.
public struct CalibrationFileError: Error, Equatable, CustomStringConvertible {
    /// The file's path.
    public var path: String
    /// What went wrong.
    public var reason: String

    /// Creates an error.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// `calibration file '<path>': <reason>`.
    public var description: String { "calibration file '\(path)': \(reason)" }
}
