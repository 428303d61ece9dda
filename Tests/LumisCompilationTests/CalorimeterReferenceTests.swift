import Foundation
import LumisTestSupport
import Testing

/// The committed reference posteriors of 10 calorimeter events (docs/calorimeter.md "Reference posteriors",
/// written by benchmarks/calorimeter-reference.sh): the summary file is complete and consistent with the criteria
/// it states, and the committed observations are what the simulator produces for the documented seeds today.
@Suite("Calorimeter reference posteriors")
struct CalorimeterReferenceTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/calorimeter-reference")
    static let seeds = Array(1...10)

    static func reference() throws -> [String: Any] {
        let data = try Data(contentsOf: directory.appendingPathComponent("reference.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func number(_ object: [String: Any], _ key: String) -> Double? {
        (object[key] as? NSNumber)?.doubleValue
    }

    @Test("Every event is summarised, probabilities sum to 1, and each converged flag matches its diagnostics")
    func summariesAreConsistent() throws {
        let reference = try Self.reference()
        #expect(reference["grid"] as? String == "4x6x6" && Self.number(reference, "noise") == 4.0)
        let rHatMax = try #require(Self.number(reference, "r_hat_max"))
        let essMin = try #require(Self.number(reference, "ess_bulk_min"))
        let indicatorProbability = try #require(Self.number(reference, "indicator_probability"))
        #expect(rHatMax == 1.05 && essMin == 400 && indicatorProbability == 0.05)
        let events = try #require(reference["events"] as? [[String: Any]])
        #expect(events.compactMap { ($0["seed"] as? NSNumber)?.intValue } == Self.seeds)

        for event in events {
            let seed = (event["seed"] as? NSNumber)?.intValue ?? -1
            let probabilities = try #require((event["channel_probabilities"] as? [NSNumber])?.map(\.doubleValue))
            #expect(probabilities.count == 29 && probabilities.allSatisfy { $0 >= 0 && $0 <= 1 }, "event \(seed)")
            #expect(abs(probabilities.reduce(0, +) - 1) < 1e-9, "event \(seed)")
            let truth = try #require(event["truth"] as? String)
            #expect(truth.hasPrefix("truth: channel "), "event \(seed)")
            let chains = try #require(Self.number(event, "chains"))
            let draws = try #require(Self.number(event, "draws_per_chain"))
            let steps = try #require(Self.number(event, "steps_per_chain"))
            let thin = try #require(Self.number(event, "thin"))
            #expect(chains >= 4 && draws == steps / thin, "event \(seed)")
            #expect(steps <= (Self.number(event, "step_cap_per_chain") ?? 0), "event \(seed)")
            let runs = try #require(event["runs"] as? [[String: Any]])
            #expect(runs.compactMap { Self.number($0, "steps_per_chain") }.reduce(0, +) == steps, "event \(seed)")
            #expect(runs.allSatisfy { (Self.number($0, "seconds") ?? 0) > 0 }, "event \(seed)")
            #expect((runs.first?["command"] as? String)?.contains("--engine rmh --chains 4") == true, "event \(seed)")

            let diagnostics = try #require(event["diagnostics"] as? [String: [String: Any]])
            // The checked variables: px, py, pz and the indicator of every channel holding at least
            // `indicator_probability` of the posterior, whose mean is that probability.
            var expected: Set = ["px", "py", "pz"]
            for (channel, p) in probabilities.enumerated() where p >= indicatorProbability {
                expected.insert("channel=\(channel)")
                let mean = try #require(diagnostics["channel=\(channel)"].flatMap { Self.number($0, "mean") })
                #expect(abs(mean - p) < 1e-9, "event \(seed) channel \(channel)")
            }
            #expect(Set(diagnostics.keys) == expected, "event \(seed)")
            // The channel index (information only): its mean is the probability-weighted channel number.
            let index = try #require((event["channel_index"] as? [String: Any]).flatMap { Self.number($0, "mean") })
            let indexMean = probabilities.enumerated().map { Double($0) * $1 }.reduce(0, +)
            #expect(abs(index - indexMean) < 1e-9, "event \(seed)")
            var met = true
            for (name, stats) in diagnostics {
                let constant = stats["constant"] as? Bool ?? false
                let sd = try #require(Self.number(stats, "sd"))
                let mcse = try #require(Self.number(stats, "mcse_mean"))
                let ess = try #require(Self.number(stats, "ess_bulk"))
                if ["px", "py", "pz"].contains(name) {
                    #expect(!constant && sd > 0 && mcse > 0 && mcse < sd, "event \(seed) \(name)")
                }
                if constant {
                    #expect(sd == 0 && ess == chains * draws, "event \(seed) \(name)")
                    continue
                }
                let rHat = try #require(Self.number(stats, "r_hat"))
                #expect(rHat.isFinite && ess.isFinite && ess > 0, "event \(seed) \(name)")
                met = met && rHat <= rHatMax && ess >= essMin
            }
            #expect(event["converged"] as? Bool == met, "event \(seed)")
        }
    }

    @Test("The committed observations and truths are what calorimeter --simulate SEED --grid 4x6x6 --noise 4.0 gives")
    func observationsAreReproduced() throws {
        let events = try #require(try Self.reference()["events"] as? [[String: Any]])
        let simulator = try Executables.simulator("calorimeter")
        for (seed, event) in zip(Self.seeds, events) {
            let simulated = try Executables.run(
                simulator, ["--simulate", "\(seed)", "--grid", "4x6x6", "--noise", "4.0"])
            #expect(simulated.status == 0)
            let file = Self.directory.appendingPathComponent(String(format: "event-%02d.json", seed))
            let committed = try String(contentsOf: file, encoding: .utf8)
            #expect(simulated.standardOutput == committed, "event \(seed)")
            let truth = simulated.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(truth == event["truth"] as? String, "event \(seed)")
        }
    }
}
