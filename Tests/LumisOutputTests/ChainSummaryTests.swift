import Foundation
import LumisCore
import LumisInference
import LumisTensor
import Testing

@Suite struct ChainSummaryTests {
    /// Four AR(1) chains of `mu`; chain 3 shifted by `shift` when asked.
    static func chainSet(draws: Int, phi: Double, shift: Double = 0, acceptance: Int = 50) -> ChainSet {
        var generator = SplitMix(state: 3)
        var stores: [TraceStore] = []
        var statistics: [ChainStatistics] = []
        for chain in 0..<4 {
            var store = TraceStore()
            var x = 0.0
            for _ in 0..<draws {
                let e = (0..<4).reduce(0.0) { sum, _ in sum + Double(generator.next() >> 11) * 0x1p-53 } - 2
                x = phi * x + e
                let value = x + (chain == 3 ? shift : 0)
                store.append(modelTrace(mu: value, step: value, matrix: [value, 1, 2, 3]))
            }
            stores.append(store)
            var counters = ChainStatistics()
            counters.proposals = 100
            counters.accepted = acceptance
            counters.proposalsByAddress = ["mu_site": 100]
            counters.acceptedByAddress = ["mu_site": acceptance]
            statistics.append(counters)
        }
        return ChainSet(chains: stores, statistics: statistics)
    }

    @Test func summaryCarriesDiagnosticsThroughTheFile() throws {
        let chains = Self.chainSet(draws: 500, phi: 0.5)
        let summary = chains.summary(metadata: PosteriorMetadata(engine: "lmh", seed: 1, model: "test"))
        let mu = try #require(summary.variables["mu"]?.diagnostics)
        let direct = chains.chains.map { store in
            (0..<store.count).map { store.value(of: .name("mu"), inTrace: $0)!.scalars[0] }  // every trace has mu
        }
        #expect(mu.rHat == [ConvergenceDiagnostics.splitRHat(direct)!])  // four chains of 500: defined
        #expect(mu.essBulk == [ConvergenceDiagnostics.bulkEffectiveSampleSize(direct)!])
        #expect(mu.chainCount == 4 && mu.drawsPerChain == 500)
        // The constant elements of m have undefined R-hat (NaN) but a full ESS, as ArviZ.
        let m = try #require(summary.variables["m"]?.diagnostics)
        #expect(m.rHat.count == 4 && m.rHat[1].isNaN && m.essBulk[1] == 2000)
        #expect(summary.addresses["walk__1"]?.diagnostics != nil && summary.result?.diagnostics != nil)
        #expect(summary.chains?.count == 4 && summary.chains?[0].draws == 500)

        let text = summary.jsonText()
        #expect(
            text.contains("\"r_hat\":") && text.contains("\"ess_bulk\":") && text.contains("\"acceptance_rate\":0.5"))
        let back = try PosteriorSummary(jsonText: Array(text.utf8), path: "x.json")
        #expect(back.jsonText() == text)
        #expect(back.chains == summary.chains)
        #expect(back.variables["mu"]?.diagnostics == summary.variables["mu"]?.diagnostics)

        let table = summary.renderTable()
        #expect(table.contains("r_hat") && table.contains("ess_tail") && table.contains("chain 3: 500 draws"))
        #expect(summary.convergenceWarnings().filter { !$0.hasPrefix("m element") }.isEmpty)
    }

    @Test func warningsNameTheProblems() {
        let chains = Self.chainSet(draws: 100, phi: 0.9, shift: 3, acceptance: 2)
        let warnings = chains.summary(metadata: PosteriorMetadata(engine: "lmh", seed: 1, model: "test"))
            .convergenceWarnings()
        #expect(warnings.contains { $0.hasPrefix("mu: R-hat is ") && $0.contains("have not converged") })
        #expect(warnings.contains { $0.hasPrefix("mu: bulk ESS is ") })
        #expect(warnings.contains { $0.hasPrefix("mu: tail ESS is ") })
        #expect(warnings.contains { $0.hasPrefix("chain 0, address mu_site: only 2.0% of 100 proposals accepted") })
    }

    @Test func filesWithoutChainKeysStillRead() throws {
        var store = TraceStore()
        store.append(modelTrace(mu: 1, step: 1, matrix: [0, 0, 0, 0]))
        let summary = Posterior(store: store).summary(metadata: PosteriorMetadata(engine: "is", seed: nil, model: "m"))
        let text = summary.jsonText()
        #expect(!text.contains("r_hat") && !text.contains("\"chains\""))
        let back = try PosteriorSummary(jsonText: Array(text.utf8), path: "x.json")
        #expect(back == summary)
        #expect(!back.renderTable().contains("r_hat"))
    }
}
