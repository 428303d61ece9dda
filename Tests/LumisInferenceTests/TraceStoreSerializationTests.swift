import LumisCore
import LumisDistributions
import LumisInference
import LumisSimulation
import LumisStorage
import LumisTensor
import Testing

/// `TraceStore.serialized()` / `init(serialized:)`: exact round trips, merges equal to one store, and damaged
/// bytes that throw instead of trapping.
@Suite struct TraceStoreSerializationTests {
    static func store(_ traces: some Sequence<Trace>) -> TraceStore {
        var store = TraceStore()
        for trace in traces { store.append(trace) }
        return store
    }

    @Test("A round trip gives the same traces and the same bytes")
    func roundTrip() throws {
        let traces = TraceStoreTests.variedTraces()
        let original = Self.store(traces)
        let bytes = original.serialized()
        let copy = try TraceStore(serialized: bytes)
        #expect(copy.count == traces.count && copy.traceTypeCount == original.traceTypeCount)
        #expect(copy.sites == original.sites)
        for (index, trace) in traces.enumerated() { TraceStoreTests.expectSame(copy.storedTrace(at: index), trace) }
        #expect(copy.serialized() == bytes)
        #expect(try TraceStore(serialized: TraceStore().serialized()).count == 0)
    }

    @Test("Stores of consecutive parts, merged in order after a round trip, equal one store of all traces")
    func mergeEqualsWhole() throws {
        let traces = TraceStoreTests.variedTraces()
        let whole = Self.store(traces).serialized()
        for cuts in [[4], [1, 7], [3, 6, 9], [0, 13]] {
            let bounds = [0] + cuts + [traces.count]
            var merged = Self.store(traces[0..<bounds[1]])
            for part in 1..<(bounds.count - 1) {
                let piece = Self.store(traces[bounds[part]..<bounds[part + 1]])
                merged.append(contentsOf: try TraceStore(serialized: piece.serialized()))
            }
            // Same tables in the same order (sites, shapes, trace types, elided constants) and the same traces.
            #expect(merged.serialized() == whole, "cuts \(cuts)")
        }
    }

    @Test("Posterior statistics of a merged store equal those of one store to the bit")
    func mergedStatistics() throws {
        var generator = Xoshiro256StarStar(seed: 3, stream: 0)
        let traces = (0..<1_000).map { _ in
            gaussianTrace(mu: generator.nextOpenUniform() * 10, logWeight: -5 * generator.nextOpenUniform())
        }
        let whole = Posterior(store: Self.store(traces), weighting: .importance)
        var merged = Self.store(traces[0..<334])
        merged.append(contentsOf: try TraceStore(serialized: Self.store(traces[334..<667]).serialized()))
        merged.append(contentsOf: try TraceStore(serialized: Self.store(traces[667...]).serialized()))
        let split = Posterior(store: merged, weighting: .importance)
        let metadata = PosteriorMetadata(engine: "is", seed: 3, model: "m", observations: [:])
        #expect(split.summary(metadata: metadata).jsonText() == whole.summary(metadata: metadata).jsonText())
    }

    @Test("Every truncation and damaged header throws a decoding error")
    func truncated() {
        let bytes = Self.store(TraceStoreTests.variedTraces()).serialized()
        for length in 0..<bytes.count {
            #expect(throws: TraceStoreDecodingError.self) { try TraceStore(serialized: Array(bytes[0..<length])) }
        }
        #expect(throws: TraceStoreDecodingError.self) { try TraceStore(serialized: bytes + [0]) }
        var version = bytes
        version[4] = 2
        let error = #expect(throws: TraceStoreDecodingError.self) { try TraceStore(serialized: version) }
        #expect(error?.description.contains("version 2") == true)
        var magic = bytes
        magic[0] = 0
        #expect(throws: TraceStoreDecodingError.self) { try TraceStore(serialized: magic) }
    }

    @Test("Random byte damage throws or decodes to a consistent store, never traps")
    func damaged() {
        let bytes = Self.store(TraceStoreTests.variedTraces()).serialized()
        var generator = Xoshiro256StarStar(seed: 11, stream: 0)
        var rejected = 0
        for _ in 0..<3_000 {
            var damaged = bytes
            for _ in 0..<(1 + Int.random(in: 0..<3, using: &generator)) {
                let position = Int.random(in: 0..<damaged.count, using: &generator)
                damaged[position] = UInt8.random(in: 0...255, using: &generator)
            }
            do {
                let store = try TraceStore(serialized: damaged)
                // Whatever was accepted must be readable throughout.
                for index in 0..<store.count { _ = store.storedTrace(at: index) }
                _ = Posterior(store: store, weighting: .importance).summary(
                    metadata: PosteriorMetadata(engine: "is", seed: 0, model: "", observations: [:]))
            } catch {
                rejected += 1
            }
        }
        #expect(rejected > 0)
    }
}

/// `MCMCOutput.serialized(failure:)` / `deserialize`: what an MPI rank sends of its chains comes back whole, and
/// damaged bytes throw instead of trapping.
@Suite struct MCMCOutputSerializationTests {
    @Test("A round trip keeps stores, log joints, counters, states, notes and the failure")
    func roundTrip() throws {
        let store = TraceStoreSerializationTests.store(TraceStoreTests.variedTraces().prefix(5))
        var statistics = ChainStatistics()
        statistics.proposals = 9
        statistics.accepted = 3
        statistics.proposalsByAddress = ["a": 6, "b": 3]
        statistics.acceptedByAddress = ["a": 3]
        statistics.restarts = 1
        let state = ChainState(
            steps: 9,
            entries: [.init(address: "a", instance: 2, name: "mu", value: Tensor(shape: [2], scalars: [1, 2]))])
        let output = MCMCOutput(
            chainSet: ChainSet(chains: [store], statistics: [statistics], logJoints: [[-1, -2, -3, -4, -5]]),
            finalStates: [state], modelName: "model", notes: ["a note"])
        let bytes = output.serialized(failure: (chain: 3, message: "boom"))
        let (copy, failure) = try MCMCOutput.deserialize(bytes)
        #expect(copy.chainSet.chains.map { $0.serialized() } == [store.serialized()])
        #expect(copy.chainSet.statistics == [statistics])
        #expect(copy.chainSet.logJoints == [[-1, -2, -3, -4, -5]])
        #expect(copy.finalStates.first??.steps == 9)
        #expect(copy.finalStates.first??.entries.first?.value.scalars == [1, 2])
        #expect(copy.modelName == "model" && copy.notes == ["a note"])
        #expect(failure?.chain == 3 && failure?.message == "boom")
        #expect(copy.serialized(failure: failure) == bytes)
        for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 40)) {
            #expect(throws: ByteReader.Malformed.self) { try MCMCOutput.deserialize(Array(bytes[..<cut])) }
        }
        #expect(throws: ByteReader.Malformed.self) { try MCMCOutput.deserialize(bytes + [0]) }
    }
}

/// `JobOutput.serialized(extra:includesStore:)` / `append(serialized:)`: the parts of a split run, appended in
/// order, equal the whole run, with counters summed and each part's extra bytes returned.
@Suite struct JobOutputSerializationTests {
    @Test("Parts appended in order equal one output; counters add up; truncated bytes throw")
    func partsMerge() throws {
        let traces = TraceStoreTests.variedTraces()
        func output(_ range: Range<Int>, discarded: Int, restarts: Int, model: String) -> JobOutput {
            var report = TraceSampler.Report()
            report.discardedTraces = discarded
            report.restarts = restarts
            report.modelName = model
            return JobOutput(
                store: TraceStoreSerializationTests.store(traces[range]), weighting: .importance, report: report)
        }
        var merged = output(0..<4, discarded: 1, restarts: 0, model: "")
        let part = output(4..<traces.count, discarded: 2, restarts: 3, model: "gum")
        let bytes = part.serialized(extra: [7, 8])
        #expect(try merged.append(serialized: bytes) == [7, 8])
        #expect(merged.store.serialized() == TraceStoreSerializationTests.store(traces).serialized())
        #expect(merged.report.discardedTraces == 3 && merged.report.restarts == 3 && merged.report.modelName == "gum")
        for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 40)) {
            var copy = output(0..<4, discarded: 0, restarts: 0, model: "")
            #expect(throws: ByteReader.Malformed.self) { _ = try copy.append(serialized: Array(bytes[..<cut])) }
        }
    }
}
