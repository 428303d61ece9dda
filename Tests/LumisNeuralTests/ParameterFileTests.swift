import Glibc
import LumisNeural
import Testing

@Suite("Parameter files")
struct ParameterFileTests {
    /// A small network trained a few steps with `optimizer`, so that every optimizer array is non-trivial; the
    /// store grows between steps so Adam has two segments.
    static func trained(_ optimizer: Optimizer, precision: Precision = .float64) -> (ParameterStore, Optimizer) {
        let store = ParameterStore(precision: precision)
        let layer = Dense(inputSize: 3, outputSize: 2, store: store, seed: 1)
        var optimizer = optimizer
        for step in 0..<4 {
            if step == 2 { _ = store.allocate(3, initialization: .normal(stddev: 1), seed: 9) }
            store.zeroGradients()
            let x = GradientCheck.randomMatrix(4, 3, seed: UInt64(step))
            _ = layer.backward(input: x, outputGradient: GradientCheck.randomMatrix(4, 2, seed: 100), store: store)
            for i in store.gradients.indices where i >= layer.bias.end { store.gradients[i] = 0.1 * Double(i) }
            optimizer.update(store)
        }
        return (store, optimizer)
    }

    static let optimizers: [Optimizer] = [
        .adam(Adam(learningRate: 0.01, weightDecay: 0.001)),
        .sgd(SGD(learningRate: 0.1, momentum: 0.9, nesterov: true)),
        .larcAdam(LARC(Adam(learningRate: 0.01))),
        .larcSGD(LARC(SGD(learningRate: 0.1, momentum: 0.5, weightDecay: 0.01), clip: false)),
    ]

    @Test("Bytes round-trip with every optimizer, in both precisions", arguments: optimizers, Precision.allCases)
    func roundTrip(_ optimizer: Optimizer, precision: Precision) throws {
        let (store, trainedOptimizer) = Self.trained(optimizer, precision: precision)
        let file = ParameterFile(store: store, optimizer: trainedOptimizer, metadata: Array("{\"lstm\":512}".utf8))
        let decoded = try ParameterFile(decoding: file.encoded())
        #expect(decoded == file)
        #expect(decoded.optimizer?.step == 4)
        let bare = ParameterFile(store: store)
        #expect(try ParameterFile(decoding: bare.encoded()) == bare)
    }

    @Test("A float32 file stores Float values and Adam moments: 12 bytes per parameter less than float64")
    func float32Payload() throws {
        var files: [ParameterFile] = []
        for precision in Precision.allCases {
            let (store, optimizer) = Self.trained(.adam(Adam(learningRate: 0.01)), precision: precision)
            let file = ParameterFile(store: store, optimizer: optimizer)
            #expect(file.precision == precision)
            let decoded = try ParameterFile(decoding: file.encoded())
            #expect(decoded.precision == precision && decoded.makeStore().precision == precision)
            files.append(file)
        }
        let count = files[0].values.count
        #expect(files[0].encoded().count - files[1].encoded().count == 12 * count)
        // Converting on load: a float64 file into a float32 store rounds each value.
        let converted = files[0].makeStore(precision: .float32)
        #expect(converted.values == files[0].values.doubles.map { Double(Float($0)) })
    }

    @Test("A scalar width other than 8 or 4 is rejected with one line")
    func badScalarWidth() throws {
        let (store, optimizer) = Self.trained(.adam(Adam(learningRate: 0.01)), precision: .float32)
        var bytes = ParameterFile(store: store, optimizer: optimizer).encoded()
        bytes[48] = 2
        let body = bytes.count - 8
        let checksum = fnv1a64(bytes[0..<body])
        withUnsafeBytes(of: checksum.littleEndian) { for k in 0..<8 { bytes[body + k] = $0[k] } }
        let error = #expect(throws: ParameterFileError.self) { try ParameterFile(decoding: bytes) }
        #expect(
            error?.description
                == "parameter file is malformed: scalar width 2 is neither 8 (float64) nor 4 (float32) at byte 48")
    }

    /// Saving and resuming gives bit-identical training to never having stopped.
    @Test("Resuming from a file continues training identically")
    func resume() throws {
        let (store, optimizer) = Self.trained(.larcAdam(LARC(Adam(learningRate: 0.01))))
        let path = "/tmp/lumis-neural-resume-\(getpid()).lumisparams"
        defer { unlink(path) }
        try ParameterFile(store: store, optimizer: optimizer).write(toFile: path)
        let loaded = try ParameterFile(contentsOfFile: path)
        let resumedStore = loaded.makeStore()
        var resumed = try #require(loaded.optimizer)
        var original = optimizer
        #expect(resumedStore.values == store.values && resumedStore.ranges == store.ranges)
        let gradients = (0..<store.count).map { Double($0 % 5) - 2 }
        store.gradients = gradients
        resumedStore.gradients = gradients
        original.update(store)
        resumed.update(resumedStore)
        #expect(resumedStore.values == store.values)
        #expect(resumed == original)
    }

    @Test("Corrupt files give clear errors")
    func corrupt() throws {
        let (store, optimizer) = Self.trained(.adam(Adam(learningRate: 0.01)))
        let bytes = ParameterFile(store: store, optimizer: optimizer, metadata: [1, 2, 3]).encoded()
        func error(_ bytes: [UInt8]) -> ParameterFileError? {
            do {
                _ = try ParameterFile(decoding: bytes)
                return nil
            } catch {
                return error
            }
        }
        var wrongMagic = bytes
        wrongMagic[0] = UInt8(ascii: "X")
        #expect(error(wrongMagic) == .wrongMagic)
        #expect(error(Array("PK\u{3}\u{4}".utf8)) == .wrongMagic)
        var newer = bytes
        newer[8] = 3
        #expect(error(newer) == .unsupportedVersion(found: 3, supported: 2))
        #expect(
            error(Array(bytes.dropLast(10))) == .truncated(expectedBytes: bytes.count, actualBytes: bytes.count - 10))
        #expect(error(Array(bytes.prefix(20))) == .truncated(expectedBytes: 56, actualBytes: 20))
        #expect(error(Array(bytes.prefix(5))) == .truncated(expectedBytes: 56, actualBytes: 5))
        #expect(error([]) == .truncated(expectedBytes: 56, actualBytes: 0))
        #expect(error(bytes + [0]) == .trailingBytes(expectedBytes: bytes.count, actualBytes: bytes.count + 1))
        for offset in [30, 100, bytes.count - 12] {  // a header count, a value, the metadata
            var flipped = bytes
            flipped[offset] ^= 0x10
            guard case .checksumMismatch = error(flipped) else {
                Issue.record("flipping byte \(offset) gave \(String(describing: error(flipped)))")
                continue
            }
        }
        #expect(ParameterFileError.wrongMagic.description.contains("not a Lumis parameter file"))
    }

    @Test("Missing files and unwritable paths are reported with the path")
    func systemErrors() {
        #expect(throws: ParameterFileError.self) { try ParameterFile(contentsOfFile: "/nonexistent/lumis.params") }
        do {
            try ParameterFile(store: ParameterStore()).write(toFile: "/nonexistent-dir/x.params")
            Issue.record("writing into a missing directory succeeded")
        } catch {
            guard case .system(_, let path, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(path.hasPrefix("/nonexistent-dir/x.params"))
        }
    }
}
