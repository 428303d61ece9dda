import Foundation
import LumisCompilation
import LumisCore
import LumisDistributions
import LumisInference
import LumisSimulation
import LumisTensor
import LumisTestSupport
import Testing

/// The GUM with two more draws at an address no training trace reaches.
private struct GaussianWithExtraDraws: Simulator, Sendable {
    let modelName = "GUM with extra draws"

    mutating func run(_ execution: inout TraceExecution) throws -> Tensor? {
        var gaussian = GaussianUnknownMean()
        let mu = try gaussian.run(&execution) ?? Tensor(0)
        for _ in 0..<2 {
            _ = try execution.sample(.normal(mean: Tensor(0), stddev: Tensor(1)), address: "extra", name: "extra")
        }
        return mu
    }
}

/// Issue 4 item 9: draws at addresses the network never saw come from the prior and are reported in the
/// posterior file's `ic` section.
@Suite("Prior fallbacks in the posterior file")
struct FallbackTests {
    @Test("Unseen addresses are counted per address in ic.prior_fallbacks, and the file reads back")
    func reported() throws {
        let (trainer, validation) = try Training.trainer(GaussianUnknownMean(), seed: 5, lstmHidden: 8, embedding: 4)
        // Heads for the training model's addresses only ("mu"); no training needed to test the bookkeeping.
        trainer.network.polymorph(validation)
        #expect(trainer.network.addresses.count == 1)
        let traces = 50
        let observations = ObservationSet(["obs0": Tensor(8.0), "obs1": Tensor(9.0)])
        let output = try Training.infer(
            trainer, GaussianWithExtraDraws(), traces: traces, seed: 7, observations: observations)
        let metadata = PosteriorMetadata(
            engine: "ic", seed: 7, model: output.summary.metadata.model, observations: observations.values)
        let summary = output.summary
        let ic = try #require(summary.ic)
        let extra1 = AddressKey(address: "extra", instance: 1, kind: .normal).description
        let extra2 = AddressKey(address: "extra", instance: 2, kind: .normal).description
        #expect(ic.priorFallbacks == [extra1: traces, extra2: traces])
        #expect(ic.controlledDraws == 3 * traces && ic.networkAddresses == 1)

        let text = summary.jsonText()
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let section = try #require(json["ic"] as? [String: Any])
        #expect(section["prior_fallbacks"] as? [String: Int] == [extra1: traces, extra2: traces])
        #expect(section["prior_fallback_draws"] as? Int == 2 * traces)
        #expect(section["controlled_draws"] as? Int == 3 * traces)
        #expect(section["network_addresses"] as? Int == 1)
        #expect(try PosteriorSummary(jsonText: Array(text.utf8), path: "p.json") == summary)
        #expect(summary.renderTable().contains("100 from the prior at 2 addresses"))

        // A run reaching only known addresses reports an empty table; other engines write no `ic` key.
        let known = try Training.infer(
            trainer, GaussianUnknownMean(), traces: traces, seed: 8, observations: observations)
        #expect(known.summary.ic?.priorFallbacks == [:])
        let plain = try #require(output.posterior).summary(metadata: metadata)
        #expect(!plain.jsonText().contains("\"ic\":"))
        #expect(try PosteriorSummary(jsonText: Array(plain.jsonText().utf8), path: "p.json").ic == nil)

        // A total that disagrees with the table is refused, naming the key.
        let damaged = text.replacingOccurrences(of: "\"prior_fallback_draws\":100", with: "\"prior_fallback_draws\":99")
        #expect(damaged != text)
        #expect(throws: PosteriorFileError.self) { try PosteriorSummary(jsonText: Array(damaged.utf8), path: "p.json") }
    }
}
