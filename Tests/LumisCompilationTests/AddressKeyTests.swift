import LumisCompilation
import LumisDistributions
import Testing

@Suite("AddressKey")
struct AddressKeyTests {
    @Test("FNV-1a 64 matches the reference vectors")
    func fnv() {
        #expect(fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(fnv1a64("foobar") == 0x8594_4171_f739_67e8)
    }

    @Test("A key's seed depends on address, instance and kind, and is stable")
    func seeds() {
        let key = AddressKey(address: "[forward()+0x2a; main+0x1f]", instance: 2, kind: .normal)
        #expect(key.description == "[forward()+0x2a; main+0x1f]#2:Normal")
        #expect(key.seed == fnv1a64("[forward()+0x2a; main+0x1f]#2:Normal"))
        #expect(AddressKey(address: key.address, instance: 1, kind: .normal).seed != key.seed)
        #expect(AddressKey(address: key.address, instance: 2, kind: .poisson).seed != key.seed)
    }

    @Test("Embedding requests parse name, name:dim, name:arch, name:arch:dim")
    func requests() throws {
        #expect(
            try EmbeddingRequest(parsing: "obs", defaultDimension: 8) == EmbeddingRequest(name: "obs", dimension: 8))
        #expect(try EmbeddingRequest(parsing: "obs:16", defaultDimension: 8).dimension == 16)
        #expect(try EmbeddingRequest(parsing: "img:cnn2d", defaultDimension: 8).architecture == .cnn2D)
        let full = try EmbeddingRequest(parsing: "vol:cnn3d:64", defaultDimension: 8)
        #expect(full.architecture == .cnn3D && full.dimension == 64)
        #expect(throws: EmbeddingRequestError.self) { try EmbeddingRequest(parsing: "obs:bogus", defaultDimension: 8) }
        #expect(throws: EmbeddingRequestError.self) { try EmbeddingRequest(parsing: ":8", defaultDimension: 8) }
    }
}
