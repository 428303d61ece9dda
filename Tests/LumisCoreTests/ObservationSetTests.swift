import Foundation
import LumisCore
import LumisTensor
import Testing

@Suite("ObservationSet parsing")
struct ObservationSetTests {
    @Test(
        "Valid assignments",
        arguments: [
            ("obs0=8", "obs0", Tensor(8)),
            ("x=-1.5e-3", "x", Tensor(-1.5e-3)),
            ("v=[1, 2, 3]", "v", Tensor([1, 2, 3])),
            ("m=[[1,2],[3,4],[5,6]]", "m", Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])),
        ] as [(String, String, Tensor)])
    func valid(assignment: String, name: String, value: Tensor) throws {
        var set = ObservationSet()
        try set.add(assignment: assignment)
        #expect(set[name] == value)
    }

    @Test(
        "Malformed assignments are one-line errors naming the observation",
        arguments: [
            "obs0", "=3", "obs0=", "obs0=abc", "obs0=[1,[2]]", "obs0=[[1,2],[3]]", "obs0=true", "obs0=[]",
            "obs0=\"8\"", "obs0=1e999",
        ])
    func malformed(assignment: String) {
        var set = ObservationSet()
        do {
            try set.add(assignment: assignment)
            Issue.record("\(assignment) should not parse")
        } catch {
            #expect(!error.description.contains("\n"))
            #expect(error.description.contains("obs0") || error.description.contains(assignment))
        }
    }

    @Test("A name given twice is an error")
    func duplicate() throws {
        var set = ObservationSet()
        try set.add(assignment: "y=1")
        #expect(throws: ObservationParseError.self) { try set.add(assignment: "y=2") }
    }

    @Test("Observation files: values by name; missing or corrupt files name the path")
    func files() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lumis-obs-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("good.json").path
        try #"{"obs0": 8, "obs1": [9, 10]}"#.write(toFile: good, atomically: true, encoding: .utf8)
        var set = ObservationSet()
        try set.add(contentsOfFile: good)
        #expect(set["obs0"] == Tensor(8) && set["obs1"] == Tensor([9, 10]))

        let corrupt = directory.appendingPathComponent("corrupt.json").path
        try #"{"obs0": 8"#.write(toFile: corrupt, atomically: true, encoding: .utf8)
        for path in [corrupt, directory.appendingPathComponent("missing.json").path] {
            var other = ObservationSet()
            do {
                try other.add(contentsOfFile: path)
                Issue.record("\(path) should not load")
            } catch {
                #expect(error.description.contains(path))
            }
        }
    }
}
