/// The version of this build of Lumis, as `lumis --version` prints it and output files record it.
public enum LumisVersion {
    /// The version text, for example `0.1.0`.
    public static let current = "0.1.0"
}
