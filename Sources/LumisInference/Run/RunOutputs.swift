/// The files a run writes, in formats that live above this module (LumisOutput: posterior JSON, draws CSV,
/// NetCDF).
///
/// ``InferenceRun`` decides when: it checks them before any simulator starts and writes them all, or none, on
/// rank 0 when the run ends (an MCMC run that stopped early writes the draws it has).
public protocol RunOutputs: Sendable {
    /// Whether a posterior file is among the outputs (else the caller shows the summary as a table).
    var writesPosteriorFile: Bool { get }

    /// Refuses outputs that cannot be written (same path twice, a directory, a link, a device).
    ///
    /// - Throws: an error naming the output.
    func check() throws

    /// Writes the files of an importance-sampling or prior run.
    ///
    /// - Returns: the paths written.
    /// - Throws: an error naming the file that could not be written; then no file is replaced.
    func write(_ summary: PosteriorSummary, posterior: Posterior) throws -> [String]

    /// Writes the files of an MCMC run.
    ///
    /// - Returns: the paths written.
    /// - Throws: an error naming the file that could not be written; then no file is replaced.
    func write(_ summary: PosteriorSummary, chains: ChainSet) throws -> [String]
}
