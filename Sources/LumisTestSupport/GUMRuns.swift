/// What the end-to-end tests of every engine share: a small network trained on the bundled C++ GUM simulator and
/// `lumis infer`'s engines with small settings.
public enum GUMRuns {
    /// The `--launch` command of the bundled GUM simulator.
    ///
    /// - Throws: ``Executables/Missing`` if it has not been built.
    public static func launch() throws -> String { "\(try Executables.simulator("gum")) {endpoint}" }

    /// The observations the tests condition on (`obs0 = 8`, `obs1 = 9`), as `lumis infer` options.
    public static let observations = ["--observe", "obs0=8", "--observe", "obs1=9"]

    /// Trains a small network (LSTM hidden 8, embeddings 4, batches of 32, 32 validation traces) on GUM into
    /// `path` with the built `lumis`.
    ///
    /// - Throws: ``Executables/Missing``, or an error holding `lumis train`'s stderr if it failed.
    public static func trainNetwork(to path: String, traces: Int = 256, seed: UInt64 = 96) throws {
        let training = try Executables.run(
            try Executables.lumis(),
            [
                "train", "--launch", try launch(), "--batch-size", "32", "--lstm-hidden", "8", "--embedding-dim", "4",
                "--validation-traces", "32", "--seed", "\(seed)", "--traces", "\(traces)", "--no-progress", "--out",
                path,
            ], environment: ["OPENBLAS_NUM_THREADS": "1"])
        guard training.status == 0 else { throw TrainingFailed(description: training.standardError) }
    }

    /// `lumis train` failed.
    public struct TrainingFailed: Error, CustomStringConvertible {
        /// Its standard error.
        public var description: String
    }

    /// Every `lumis infer` engine, each with the options of a small run (2 chains of 20 burn-in proposals for
    /// lmh and rmh; `network` for ic).
    public static func engines(network: String) -> [(name: String, arguments: [String])] {
        [
            ("prior", ["--engine", "prior"]), ("is", ["--engine", "is"]),
            ("lmh", ["--engine", "lmh", "--chains", "2", "--burn-in", "20"]),
            ("rmh", ["--engine", "rmh", "--chains", "2", "--burn-in", "20"]),
            ("ic", ["--engine", "ic", "--network", network]),
        ]
    }
}
