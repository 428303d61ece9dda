/// How Lumis runs the simulators it launches: where their output goes and how long one may take to bind.
public struct LaunchSettings: Sendable, Equatable {
    /// Where a launched simulator's standard output and error go.
    public enum Output: Sendable, Equatable {
        /// To Lumis's standard error (never its standard output, which carries results).
        case inherit
        /// Nowhere (`/dev/null`).
        case discard
        /// To `simulator-<worker>.log` in this directory, appended across restarts.
        case directory(String)
    }

    /// Where a launched simulator's output goes.
    public var output: Output
    /// How long a freshly started simulator may take to bind its endpoint and answer the handshake.
    public var startupTimeout: Duration
    /// A progress note for a slow start-up, `nil` for none.
    ///
    /// Told once per start, when a simulator has not answered after ``slowStartupNotice``: the endpoint and the
    /// seconds waited so far.
    public var onSlowStartup: (@Sendable (_ endpoint: String, _ seconds: Int) -> Void)?

    /// How long a start-up may take before ``onSlowStartup`` is told.
    public static let slowStartupNotice: Duration = .seconds(5)

    /// Creates settings; by default output is discarded and a simulator has 30 s to bind.
    public init(
        output: Output = .discard, startupTimeout: Duration = .seconds(30),
        onSlowStartup: (@Sendable (_ endpoint: String, _ seconds: Int) -> Void)? = nil
    ) {
        self.output = output
        self.startupTimeout = startupTimeout
        self.onSlowStartup = onSlowStartup
    }

    /// Equal when output and timeout are (the note callback is not compared).
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.output == rhs.output && lhs.startupTimeout == rhs.startupTimeout
    }
}
