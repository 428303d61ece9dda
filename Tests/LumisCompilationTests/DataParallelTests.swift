import LumisCompilation
import LumisCore
import LumisNeural
import LumisTestSupport
import Testing

/// The data split of data-parallel training and the pluggable trace source (the MPI runs themselves are tested
/// through the CLI in LumisCommandLineTests).
@Suite struct DataParallelTests {
    @Test("Ranks' shares of every minibatch tile it in rank order, for any rank count")
    func splitTilesMinibatches() {
        for (start, count, batchSize) in [(0, 160, 16), (37, 197, 16), (5, 3, 4), (0, 0, 8), (10, 64, 7)] {
            for size in 1...4 where batchSize >= size {
                let splits = (0..<size).map {
                    DataSplit(start: start, count: count, batchSize: batchSize, rank: $0, size: size)
                }
                #expect(splits.map(\.localCount).reduce(0, +) == count)
                for split in splits {
                    // localPosition walks the rank's minibatch shares in order.
                    let walked = (0..<split.localCount).map(split.localPosition)
                    let shares = (0..<split.batchCount).flatMap { Array(split.localBatch($0)) }
                    #expect(walked == shares)
                }
                for j in 0..<splits[0].batchCount {
                    let global = splits[0].globalBatch(j)
                    #expect(global.lowerBound == start + j * batchSize)
                    #expect(Array(global) == splits.flatMap { Array($0.localBatch(j)) })
                }
                let all = splits.flatMap { split in (0..<split.localCount).map(split.localPosition) }
                #expect(all.sorted() == Array(start..<(start + count)))
            }
        }
    }

    @Test("A cycled reader runs epochs over the stored traces, wrapping inside a read")
    func cyclingReader() throws {
        let stored = try Trainer.sampleTraces(count: 5, seed: 3, workers: 1, makeSimulator: { _ in Branching() }).traces
        guard case .reader(let read) = TrainingData.cycling(count: 5, read: { Array(stored[$0]) }) else {
            Issue.record("cycling must make a reader")
            return
        }
        let read12 = try read(3..<15)
        #expect(read12.count == 12)
        for (offset, trace) in read12.enumerated() {
            #expect(trace.entries.map(\.value) == stored[(3 + offset) % 5].entries.map(\.value))
        }
    }

    @Test("Training from a reader of the stream's traces equals training from the simulators, bit for bit")
    func readerEqualsSimulators() throws {
        let configuration = TrainingConfiguration(traceCount: 200, batchSize: 32, workers: 2)
        let (online, onlineValidation) = try Training.trainer(
            Branching(), seed: 11, lstmHidden: 8, validationCount: 32)
        _ = try online.train(configuration, validation: onlineValidation, makeSimulator: { _ in Branching() })
        let (offline, offlineValidation) = try Training.trainer(
            Branching(), seed: 11, lstmHidden: 8, validationCount: 32)
        // The "dataset": the first 200 positions of the training stream, read by position.
        let stored = try Trainer.sampleTraces(
            count: 200, seed: offline.state.seed, workers: 2, makeSimulator: { _ in Branching() }
        ).traces
        var reads: [Range<Int>] = []
        _ = try offline.train(
            configuration, validation: offlineValidation,
            data: .reader { range in
                reads.append(range)
                return Array(stored[range])
            })
        #expect(reads == (0..<7).map { ($0 * 32)..<min(($0 + 1) * 32, 200) })
        #expect(offline.state == online.state)
        #expect(offline.network.store.values == online.network.store.values)
        #expect(offline.optimizer == online.optimizer)
        #expect(offline.network.addresses == online.network.addresses)
    }

    @Test("A reader that returns the wrong number of traces is a clear error")
    func shortReader() throws {
        let (trainer, validation) = try Training.trainer(Branching(), seed: 12, lstmHidden: 4, validationCount: 8)
        #expect(throws: TrainingDataError.self) {
            try trainer.train(
                TrainingConfiguration(traceCount: 64, batchSize: 32), validation: validation,
                data: .reader { _ in [] })
        }
    }
}
