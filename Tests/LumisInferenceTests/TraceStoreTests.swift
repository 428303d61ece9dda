import LumisCore
import LumisInference
import LumisTensor
import Testing

@Suite struct TraceStoreTests {
    /// Traces with varied shapes, kinds, missing results, repeated and differing observed values.
    static func variedTraces() -> [Trace] {
        var traces: [Trace] = []
        for index in 0..<12 {
            var trace = Trace()
            let length = 1 + index % 3
            trace.entries.append(
                entry(.sample, "x_site", name: "x", value: Tensor((0..<length).map { Double(index) + Double($0) / 8 })))
            trace.entries.append(entry(.sample, "anon", value: Tensor(Double(-index))))
            // The observed value changes at trace 5, and one is -0.0 (bitwise distinct from 0.0).
            let observed = index == 5 ? -0.0 : (index < 7 ? 0.0 : 2.5)
            trace.entries.append(entry(.observe, "y_site", name: "y", value: Tensor(observed)))
            if index % 4 == 0 {
                trace.entries.append(
                    entry(.tag, "t_site", name: "m", value: Tensor(shape: [2, 2], scalars: [1, 2, 3, Double(index)])))
                trace.entries.append(entry(.sample, "anon", instance: 2, value: Tensor(.nan), controlled: false))
            }
            trace.result = index % 3 == 0 ? nil : Tensor(shape: [1, length], scalars: (0..<length).map(Double.init))
            trace.logWeight = index == 3 ? -.infinity : Double(index) / 10
            traces.append(trace)
        }
        var empty = Trace()
        empty.logWeight = .nan
        traces.append(empty)
        return traces
    }

    static func expectSame(_ stored: TraceStore.StoredTrace, _ trace: Trace) {
        #expect(stored.entries.count == trace.entries.count)
        for (got, want) in zip(stored.entries, trace.entries) {
            #expect(got.site.kind == want.kind && got.site.address == want.address)
            #expect(got.site.instance == want.instance && got.site.name == want.name)
            #expect(got.site.isControlled == want.isControlled && got.site.shape == want.value.shape)
            #expect(bitwiseEqual(got.value, want.value))
        }
        #expect(bitwiseEqual(stored.result, trace.result))
        #expect(stored.logWeight.bitPattern == trace.logWeight.bitPattern)
    }

    @Test func roundTripIsExact() {
        let traces = Self.variedTraces()
        var store = TraceStore()
        for trace in traces { store.append(trace) }
        #expect(store.count == traces.count)
        for (index, trace) in traces.enumerated() { Self.expectSame(store.storedTrace(at: index), trace) }
        #expect(store.logWeights.count == traces.count)
        #expect(bitwiseEqual(store.value(of: .name("x"), inTrace: 2), Tensor([2, 2.125, 2.25])))
        #expect(bitwiseEqual(store.value(of: .name("y"), inTrace: 5), Tensor(-0.0)))
        #expect(bitwiseEqual(store.value(of: .address("anon", instance: 2), inTrace: 4), Tensor(.nan)))
        #expect(store.value(of: .address("anon", instance: 2), inTrace: 1) == nil)
        #expect(store.value(of: .result, inTrace: 0) == nil)
        #expect(store.value(of: .name("x"), inTrace: 12) == nil)
        #expect(store.variableNames == ["m", "x"])
        #expect(store.unnamedSampleSelectors == [.address("anon", instance: 1), .address("anon", instance: 2)])
    }

    @Test(arguments: [0, 5, 6, 12, 13])
    func mergedChunksEqualOneStore(split: Int) {
        let traces = Self.variedTraces()
        var whole = TraceStore()
        for trace in traces { whole.append(trace) }
        var first = TraceStore()
        var second = TraceStore()
        for (index, trace) in traces.enumerated() {
            if index < split { first.append(trace) } else { second.append(trace) }
        }
        // The second chunk first sees other observed values, so merging must write out values it elided.
        first.append(contentsOf: second)
        #expect(first.count == traces.count)
        for (index, trace) in traces.enumerated() { Self.expectSame(first.storedTrace(at: index), trace) }
    }

    @Test func sameSequenceSharesOneTraceType() {
        var store = TraceStore()
        for index in 0..<100 { store.append(gaussianTrace(mu: Double(index), logWeight: 0)) }
        #expect(store.traceTypeCount == 1)
        store.append(gaussianTrace(mu: 1, logWeight: 0, observations: (8, 10)))
        #expect(store.traceTypeCount == 2)
        #expect(bitwiseEqual(store.value(of: .name("obs1"), inTrace: 100), Tensor(10)))
        #expect(bitwiseEqual(store.value(of: .name("obs1"), inTrace: 99), Tensor(9)))
    }

    /// A million traces of the Gaussian model: within the byte budget, and their mean keeps full precision.
    @Test func millionGaussianTraces() throws {
        var store = TraceStore()
        var trace = gaussianTrace(mu: 0, logWeight: 0)
        for index in 0..<1_000_000 {
            let value = 1e8 + 0.1 * Double(index % 10)
            trace.entries[0].value = Tensor(value)
            trace.result = Tensor(value)
            store.append(trace)
        }
        let bytesPerTrace = Double(store.byteCount) / 1e6
        #expect(bytesPerTrace <= 100, "\(bytesPerTrace) bytes per trace")
        #expect(bitwiseEqual(store.value(of: .name("mu"), inTrace: 999_999), Tensor(1e8 + 0.1 * 9)))
        let statistics = try Posterior(store: store).statistics(of: .name("mu"), quantileLevels: [0.5])
        // Naive summation of 10⁶ terms near 10² drifts by ~10⁻⁵ here; the compensated sum stays within an ulp.
        #expect(abs(statistics.mean[0] - (1e8 + 0.45)) < 1e-7)
        #expect(abs(statistics.stddev[0] - 0.0825.squareRoot()) < 1e-6)
        #expect(statistics.quantiles[0.5] == [1e8 + 0.4])
    }
}
