import Foundation
import LumisCompilation
import Testing

/// The feed-forward embedding's hidden width: `(input + dimension) / 2` as in pyprob, at most
/// ``ObservationEmbeddingSpec/maximumFeedForwardHidden``, with the cap recorded so that older files keep their layout.
@Suite("Feed-forward embedding width")
struct FeedForwardEmbeddingTests {
    /// The embedding's parameters: the network's count minus that of the same network with a 1-element
    /// feed-forward embedding of the same dimension (1 → h → dim with h = (1 + dim)/2: 2h + dim·(h + 1)).
    static func embeddingParameters(_ spec: ObservationEmbeddingSpec) -> Int {
        let network = InferenceNetwork(configuration: NetworkConfiguration(observations: [spec]))
        let plain = ObservationEmbeddingSpec(
            name: spec.name, shape: [1], architecture: .feedForward, dimension: spec.dimension)
        let plainNetwork = InferenceNetwork(configuration: NetworkConfiguration(observations: [plain]))
        let hidden = (1 + spec.dimension) / 2
        let plainEmbedding = 2 * hidden + spec.dimension * (hidden + 1)
        return network.parameterCount - plainNetwork.parameterCount + plainEmbedding
    }

    @Test("(input + dim)/2 below the cap, unrecorded; above it the cap, recorded; a spec without it keeps the old rule")
    func width() throws {
        // 144 cells → 104 → 64, as the calorimeter recipe's calo:ff:64.
        let small = ObservationEmbeddingSpec(name: "calo", shape: [4, 6, 6], architecture: .feedForward, dimension: 64)
        #expect(small.hiddenWidth == nil)
        #expect(Self.embeddingParameters(small) == 104 * 145 + 64 * 105)
        // 2,100 elements: (2100 + 64)/2 = 1082 is above the cap of 1024.
        let large = ObservationEmbeddingSpec(name: "spectrum", shape: [2100], architecture: .feedForward, dimension: 64)
        #expect(large.hiddenWidth == ObservationEmbeddingSpec.maximumFeedForwardHidden)
        #expect(Self.embeddingParameters(large) == 1024 * 2101 + 64 * 1025)
        // A network file from before the cap has no hiddenWidth: its layout is (input + dim)/2 wide, as written.
        var legacy = large
        legacy.hiddenWidth = nil
        #expect(Self.embeddingParameters(legacy) == 1082 * 2101 + 64 * 1083)
        let encoded = try JSONEncoder().encode(legacy)
        #expect(!String(decoding: encoded, as: UTF8.self).contains("hiddenWidth"))
        #expect(try JSONDecoder().decode(ObservationEmbeddingSpec.self, from: encoded) == legacy)
        let capped = try JSONEncoder().encode(large)
        #expect(String(decoding: capped, as: UTF8.self).contains("\"hiddenWidth\":1024"))
        #expect(try JSONDecoder().decode(ObservationEmbeddingSpec.self, from: capped) == large)
        // CNNs keep their rule: the cap is for an input that is the whole observation.
        let volume = ObservationEmbeddingSpec(name: "calo", shape: [20, 35, 35], architecture: .cnn3D, dimension: 64)
        #expect(volume.hiddenWidth == nil)
    }
}
