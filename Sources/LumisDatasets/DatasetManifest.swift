public import LumisTensor

/// What a dataset is: how its traces were made and how they are sharded (the directory's `manifest.json`).
///
/// The shards' bytes depend only on the simulator, ``seed``, ``traceCount`` and ``shardTraces``.
public struct DatasetManifest: Sendable, Equatable {
    /// The `format` field of every manifest.
    public static let format = "lumis-dataset"
    /// The manifest and index version this code writes and the newest it reads.
    public static let currentVersion = 1

    /// The format version the dataset was written in.
    public var version: Int
    /// The seed of every trace's random stream: trace *i* uses stream *i*.
    public var seed: UInt64
    /// The number of traces asked for.
    public var traceCount: Int
    /// Traces per shard: global shard *k* holds traces `k·S ..< min((k+1)·S, T)`.
    public var shardTraces: Int
    /// The model name from the simulator's handshake.
    public var model: String
    /// Observed values given by name; other observations were drawn from their likelihoods.
    public var observations: [String: Tensor]
    /// Whether observe entries were stored with their distributions (likelihoods).
    ///
    /// When `false` every observe entry reads back with `distribution == nil` (and so do the trace types' observe
    /// representatives); sample entries always keep theirs. Manifests without the field (older lumis) mean `true`.
    public var keepsLikelihoods: Bool

    /// Creates a manifest.
    ///
    /// - Precondition: `traceCount >= 0`, `shardTraces > 0`.
    public init(
        version: Int = DatasetManifest.currentVersion, seed: UInt64, traceCount: Int, shardTraces: Int,
        model: String, observations: [String: Tensor], keepsLikelihoods: Bool = true
    ) {
        precondition(traceCount >= 0 && shardTraces > 0, "invalid dataset sizes")
        self.version = version
        self.seed = seed
        self.traceCount = traceCount
        self.shardTraces = shardTraces
        self.model = model
        self.observations = observations
        self.keepsLikelihoods = keepsLikelihoods
    }

    /// The number of global shards.
    public var shardCount: Int { traceCount == 0 ? 0 : (traceCount - 1) / shardTraces + 1 }

    /// The traces (random streams) of global shard `index`.
    ///
    /// - Precondition: `0 <= index < shardCount`.
    public func traces(ofShard index: Int) -> Range<Int> {
        precondition(index >= 0 && index < shardCount, "shard \(index) out of range")
        return index * shardTraces..<min((index + 1) * shardTraces, traceCount)
    }

    private static func describe(_ keepsLikelihoods: Bool) -> String {
        keepsLikelihoods ? "kept (--keep-likelihoods)" : "left out (no --keep-likelihoods)"
    }

    /// The first difference from `other` that makes resuming impossible, as text, or `nil`.
    func mismatch(resuming other: DatasetManifest) -> String? {
        if seed != other.seed { return "seed \(seed), not \(other.seed)" }
        if traceCount != other.traceCount { return "\(traceCount) traces, not \(other.traceCount)" }
        if shardTraces != other.shardTraces { return "\(shardTraces) traces per shard, not \(other.shardTraces)" }
        if observations != other.observations { return "other observations" }
        if keepsLikelihoods != other.keepsLikelihoods {
            return
                "observe likelihoods \(Self.describe(keepsLikelihoods)), not \(Self.describe(other.keepsLikelihoods))"
        }
        if !other.model.isEmpty && model != other.model { return "model '\(model)', not '\(other.model)'" }
        return nil
    }
}
