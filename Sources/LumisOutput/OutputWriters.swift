import Glibc
import LumisDistributions
public import LumisInference
import LumisStorage

/// The files a run writes: the posterior summary (JSON), the draws (CSV) and the ArviZ NetCDF file.
public struct OutputOptions: Sendable, Equatable {
    /// The posterior file (``PosteriorSummary``, `--out`), or `nil`.
    public var posterior: String?
    /// The CSV file of draws (``DrawsCSV``, `--draws-csv`), or `nil`.
    public var drawsCSV: String?
    /// The ArviZ NetCDF file (``InferenceDataFile``, `--netcdf`), or `nil`.
    public var netCDF: String?

    /// Creates options; all `nil` writes nothing.
    public init(posterior: String? = nil, drawsCSV: String? = nil, netCDF: String? = nil) {
        self.posterior = posterior
        self.drawsCSV = drawsCSV
        self.netCDF = netCDF
    }

    /// Whether any file is requested.
    public var isEmpty: Bool { posterior == nil && drawsCSV == nil && netCDF == nil }

    /// Each requested file with the option that names it.
    var requested: [(option: String, path: String)] {
        [("--out", posterior), ("--draws-csv", drawsCSV), ("--netcdf", netCDF)].compactMap { option, path in
            path.map { (option, $0) }
        }
    }

    /// Checks, before a run starts, that every requested file can be written where it is asked for.
    ///
    /// Refused: two options naming the same file; a path that exists and is a directory, a symbolic link or
    /// anything but a regular file (a device such as `/dev/null` is never replaced, a link never followed); a
    /// path whose directory is missing or not writable.
    /// - Throws: ``OutputError`` with one line naming the option and the path.
    public func check() throws(OutputError) {
        var seen: [String: String] = [:]
        for (option, path) in requested {
            guard !path.isEmpty, !path.hasSuffix("/") else {
                throw OutputError(description: "\(option) '\(path)': names a directory, not a file")
            }
            var status = stat()
            if lstat(path, &status) == 0 {
                let type = status.st_mode & S_IFMT
                if type == S_IFLNK {
                    throw OutputError(
                        description: "\(option) '\(path)': is a symbolic link; give the path of the file itself")
                }
                if type == S_IFDIR { throw OutputError(description: "\(option) '\(path)': is a directory") }
                if type != S_IFREG {
                    throw OutputError(
                        description: "\(option) '\(path)': is not a regular file (a device, pipe or socket)")
                }
            }
            let (directory, base) = Self.split(path)
            var directoryStatus = stat()
            guard stat(directory, &directoryStatus) == 0, directoryStatus.st_mode & S_IFMT == S_IFDIR,
                access(directory, W_OK) == 0
            else {
                throw OutputError(
                    description: "cannot write \(option) \(path): directory \(directory) is missing or not writable")
            }
            // The same file under two spellings (./a.json, a.json, dir/../a.json) is one identity.
            let identity = "\(directoryStatus.st_dev):\(directoryStatus.st_ino)/\(base)"
            if let earlier = seen[identity] {
                throw OutputError(description: "\(earlier) and \(option) name the same file '\(path)'")
            }
            seen[identity] = option
        }
    }

    /// `path`'s directory (`.` when none) and last component.
    static func split(_ path: String) -> (directory: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = slash == path.startIndex ? "/" : String(path[..<slash])
        return (directory, String(path[path.index(after: slash)...]))
    }
}

/// An output file that cannot be written, in one line naming it.
public struct OutputError: Error, CustomStringConvertible, Equatable {
    /// The message.
    public var description: String

    /// Creates an error.
    public init(description: String) { self.description = description }
}

/// The single entry point that writes the files of a run, all or nothing.
///
/// Every file is written completely to a temporary sibling and flushed to disk first; only then are they
/// renamed into place. If any file fails, no file is replaced and every temporary is removed.
public enum OutputWriters {
    /// The random stream of the resample that fills a weighted run's NetCDF `posterior` group.
    static let resamplingStream: UInt64 = 0x7265_7361_6D70_6C65  // "resample"

    /// Writes the files of an MCMC run: every chain's kept draws, equally weighted, with the chains' counters
    /// and log joint densities in the NetCDF `sample_stats` group.
    ///
    /// - Returns: the paths written.
    /// - Throws: ``OutputError`` naming the file that could not be written; then no file is replaced.
    @discardableResult
    public static func write(
        _ summary: PosteriorSummary, chains: ChainSet, options: OutputOptions
    ) throws(OutputError) -> [String] {
        guard !options.isEmpty else { return [] }
        let table = DrawTable(chains: chains)
        var contents = InferenceDataFile.Contents(
            table: table, chainStatistics: chains.statistics, logJoints: chains.logJoints,
            observations: summary.metadata.observations)
        contents.attributes = attributes(of: summary, isWeighted: false)
        return try write(summary, table: table, netCDF: contents, options: options)
    }

    /// Writes the files of an importance-sampling or prior run: one chain of draws; the CSV keeps every draw
    /// with its normalised and log weight; for importance weighting, the NetCDF `posterior` group holds an
    /// equally weighted systematic resample of as many draws (seeded by the run's seed), and the weighted draws
    /// go to `weighted_posterior` and `weighted_sample_stats`.
    ///
    /// - Returns: the paths written.
    /// - Throws: ``OutputError`` naming the file that could not be written; then no file is replaced.
    @discardableResult
    public static func write(
        _ summary: PosteriorSummary, posterior: Posterior, options: OutputOptions
    ) throws(OutputError) -> [String] {
        guard !options.isEmpty else { return [] }
        let table = DrawTable(posterior: posterior)
        let isWeighted = posterior.weighting == .importance
        var contents = InferenceDataFile.Contents(table: table, observations: summary.metadata.observations)
        contents.attributes = attributes(of: summary, isWeighted: isWeighted)
        if isWeighted && options.netCDF != nil {
            var generator = Xoshiro256StarStar(seed: summary.metadata.seed ?? 0, stream: resamplingStream)
            // No usable weight: nothing to resample from, so the posterior group holds no draws.
            contents.resampledRows =
                (try? posterior.resample(count: posterior.traceCount, method: .systematic, using: &generator)) ?? []
        }
        return try write(summary, table: table, netCDF: contents, options: options)
    }

    /// The file attributes: engine, model, seed, traces and, for weighted runs, ESS and log evidence.
    static func attributes(
        of summary: PosteriorSummary, isWeighted: Bool
    ) -> [(name: String, value: InferenceDataFile.AttributeValue)] {
        var attributes: [(name: String, value: InferenceDataFile.AttributeValue)] = [
            ("engine", .text(summary.metadata.engine)), ("model", .text(summary.metadata.model)),
        ]
        if let seed = summary.metadata.seed { attributes.append(("seed", .unsigned(seed))) }
        attributes.append(("traces", .integer(Int64(summary.traceCount))))
        if !summary.metadata.unusedObservations.isEmpty {
            attributes.append(
                ("unused_observations", .text(summary.metadata.unusedObservations.joined(separator: ", "))))
        }
        if isWeighted {
            attributes.append(("weighting", .text("importance")))
            if let ess = summary.effectiveSampleSize { attributes.append(("effective_sample_size", .real(ess))) }
            if let logEvidence = summary.logEvidence { attributes.append(("log_evidence", .real(logEvidence))) }
        }
        return attributes
    }

    private static func write(
        _ summary: PosteriorSummary, table: DrawTable, netCDF: InferenceDataFile.Contents, options: OutputOptions
    ) throws(OutputError) -> [String] {
        var staged: [StagedFile] = []
        func stage(_ option: String, _ path: String, _ fill: (StagedFile) throws -> Void) throws(OutputError) {
            do {
                let file = try StagedFile(path: path)
                staged.append(file)
                try fill(file)
            } catch {
                for file in staged { file.discard() }
                throw OutputError(description: "\(option) \(path): \(error); no output was written")
            }
        }
        if let path = options.posterior {
            try stage("--out", path) { try $0.write(Array(summary.jsonText().utf8)) }
        }
        if let path = options.drawsCSV {
            try stage("--draws-csv", path) { try $0.write(Array(DrawsCSV.text(of: table).utf8)) }
        }
        if let path = options.netCDF {
            try stage("--netcdf", path) { try InferenceDataFile.write(netCDF, to: $0) }
        }
        for (index, file) in staged.enumerated() {
            do {
                try file.commit()
            } catch {
                for later in staged[(index + 1)...] { later.discard() }
                let written = staged[..<index].map(\.path)
                throw OutputError(
                    description: "\(error)"
                        + (written.isEmpty
                            ? "; no output was written" : "; already written: \(written.joined(separator: ", "))"))
            }
        }
        return staged.map(\.path)
    }
}
