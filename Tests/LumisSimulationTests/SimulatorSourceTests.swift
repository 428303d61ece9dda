import LumisSimulation
import Testing

@Suite("SimulatorSource: which simulators each rank gets")
struct SimulatorSourceTests {
    static let five: SimulatorSource = .attach(endpoints: ["a", "b", "c", "d", "e"])

    @Test("Endpoints are dealt out to the ranks in order, contiguous and as even as possible")
    func dealt() throws {
        let shares = try (0..<2).map { try Self.five.share(rank: $0, of: 2, workers: nil) }
        #expect(shares[0].source == .attach(endpoints: ["a", "b", "c"]) && shares[0].workers == 3)
        #expect(shares[1].source == .attach(endpoints: ["d", "e"]) && shares[1].workers == 2)
        let single = try Self.five.share(rank: 0, of: 1, workers: nil)
        #expect(single.source == Self.five && single.workers == 5)
        let each = try (0..<5).map { try Self.five.share(rank: $0, of: 5, workers: nil).source }
        #expect(each == ["a", "b", "c", "d", "e"].map { .attach(endpoints: [$0]) })
    }

    @Test("--workers counts per rank and needs exactly workers × ranks endpoints")
    func workersPerRank() throws {
        let four: SimulatorSource = .attach(endpoints: ["a", "b", "c", "d"])
        let second = try four.share(rank: 1, of: 2, workers: 2)
        #expect(second.source == .attach(endpoints: ["c", "d"]) && second.workers == 2)
        let tooMany = #expect(throws: SimulatorSource.AssignmentError.self) {
            try four.share(rank: 0, of: 2, workers: 1)
        }
        #expect(tooMany?.needed == 2 && tooMany?.endpoints == 4)
        let tooFew = #expect(throws: SimulatorSource.AssignmentError.self) {
            try four.share(rank: 0, of: 1, workers: 3)
        }
        #expect(tooFew?.needed == 3)
        let fewerThanRanks = #expect(throws: SimulatorSource.AssignmentError.self) {
            try Self.five.share(rank: 0, of: 6, workers: nil)
        }
        #expect(fewerThanRanks?.description == "6 ranks need at least 6 endpoints (at least one per rank), got 5")
    }

    @Test("A launch command starts --workers processes (default one) on every rank")
    func launch() throws {
        let command: SimulatorSource = .launch(command: "sim {endpoint}")
        for rank in 0..<3 {
            let defaulted = try command.share(rank: rank, of: 3, workers: nil)
            #expect(defaulted.source == command && defaulted.workers == 1)
            #expect(try command.share(rank: rank, of: 3, workers: 4).workers == 4)
        }
    }
}
