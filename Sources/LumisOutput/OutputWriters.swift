public import LumisInference
public import LumisTensor

/// Which draw files to write besides the JSON summary.
public struct OutputOptions: Sendable, Equatable {
    /// The CSV file of draws (``DrawsCSV``), or `nil`.
    public var drawsCSV: String?
    /// The ArviZ NetCDF file (``InferenceDataFile``), or `nil`.
    public var netCDF: String?
    /// A directory for SVG plots (``Plots``), or `nil`.
    public var plotDirectory: String?

    /// Creates options; all `nil` writes nothing.
    public init(drawsCSV: String? = nil, netCDF: String? = nil, plotDirectory: String? = nil) {
        self.drawsCSV = drawsCSV
        self.netCDF = netCDF
        self.plotDirectory = plotDirectory
    }

    /// Whether any file is requested.
    public var isEmpty: Bool { drawsCSV == nil && netCDF == nil && plotDirectory == nil }
}

/// The single entry point engines and the command line call to write the draw files of a run.
public enum OutputWriters {
    /// Writes the draw files of an MCMC run: every chain's kept draws, equally weighted, with the chains'
    /// counters in the NetCDF `sample_stats` group.
    ///
    /// - Returns: the paths written.
    /// - Throws: ``PosteriorFileError`` or ``NetCDFError`` for the first file that cannot be written.
    @discardableResult
    public static func write(
        chains: ChainSet, observations: [String: Tensor], options: OutputOptions
    ) throws -> [String] {
        guard !options.isEmpty else { return [] }
        return try write(
            DrawTable(chains: chains), chainStatistics: chains.statistics, observations: observations,
            isWeighted: false, options: options)
    }

    /// Writes the draw files of an importance-sampling or prior run: one chain, the normalised weights in the
    /// CSV `weight` column and in NetCDF `sample_stats.weight` (importance weighting only).
    ///
    /// - Returns: the paths written.
    /// - Throws: ``PosteriorFileError`` or ``NetCDFError`` for the first file that cannot be written.
    @discardableResult
    public static func write(
        posterior: Posterior, observations: [String: Tensor], options: OutputOptions
    ) throws -> [String] {
        guard !options.isEmpty else { return [] }
        return try write(
            DrawTable(posterior: posterior), chainStatistics: nil, observations: observations,
            isWeighted: posterior.weighting == .importance, options: options)
    }

    private static func write(
        _ table: DrawTable, chainStatistics: [ChainStatistics]?, observations: [String: Tensor], isWeighted: Bool,
        options: OutputOptions
    ) throws -> [String] {
        var paths: [String] = []
        if let path = options.drawsCSV {
            try DrawsCSV.write(table, toFile: path)
            paths.append(path)
        }
        if let path = options.netCDF {
            try InferenceDataFile.write(
                table, chainStatistics: chainStatistics, observations: observations, isWeighted: isWeighted,
                toFile: path)
            paths.append(path)
        }
        if let directory = options.plotDirectory {
            paths += try Plots.writeAll(PlotSeries.all(in: table), to: directory)
        }
        return paths
    }
}
