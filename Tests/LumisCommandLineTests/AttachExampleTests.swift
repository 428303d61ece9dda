import Foundation
import LumisTestSupport
import Testing

/// Issue 13 parts 3 and 4: the C++ front end installed into a scratch prefix (front end only), the existing-code
/// example in examples/attach built against it with `find_package(Lumis CONFIG)` and again with pkg-config, both
/// run under `lumis infer`; the posterior is checked against exact enumeration and the call-stack addresses are
/// distinct per call path.
@Suite("Attaching an existing C++ code", .serialized, .timeLimit(.minutes(5)))
struct AttachExampleTests {
    static let example = Executables.repositoryRoot.appendingPathComponent("examples/attach")

    /// Runs `command` with `/bin/sh -c`, failing the test with its stderr if it fails.
    static func shell(_ command: String, environment: [String: String] = [:]) throws -> String {
        let outcome = try Executables.run("/bin/sh", ["-c", command], environment: environment)
        guard outcome.status == 0 else {
            throw Executables.Missing(description: "`\(command)` failed (\(outcome.status)): \(outcome.standardError)")
        }
        return outcome.standardOutput
    }

    /// P(process | energy) by enumeration.
    ///
    /// The model: process ~ Categorical([2, 1, 1]), 1 + Poisson(λ) jets, each of flavour
    /// Categorical([6, 3, 1]) with energy Normal(10 | 25 | 45, 3), a photon of 8 GeV with probability 0.3, and the
    /// reading Normal(visible, 5). Given the jet count n, the flavours' base sum S and the photon γ, the reading
    /// is Normal(S + 8γ, √(9n + 25)).
    static func exactProcessPosterior(energy: Double) -> [Double] {
        let processes = [0.5, 0.25, 0.25], extraJets = [0.5, 1.5, 3.0]
        let flavours: [(probability: Double, units: Int)] = [(0.6, 2), (0.3, 5), (0.1, 9)]  // energies in 5 GeV units
        let maximumJets = 40
        // sums[n][u]: probability that n jets' base energies add up to 5·u GeV.
        var sums = [[Double](repeating: 0, count: 9 * maximumJets + 1)]
        sums[0][0] = 1
        for n in 1...maximumJets {
            var next = [Double](repeating: 0, count: 9 * maximumJets + 1)
            for (u, p) in sums[n - 1].enumerated() where p > 0 {
                for flavour in flavours { next[u + flavour.units] += p * flavour.probability }
            }
            sums.append(next)
        }
        var posterior = processes.enumerated().map { process, prior in
            var likelihood = 0.0
            var poisson = Foundation.exp(-extraJets[process])  // P(extra = 0)
            for n in 1...maximumJets {
                let sd = (9 * Double(n) + 25).squareRoot()
                for (u, p) in sums[n].enumerated() where p > 0 {
                    for (photon, chance) in [(0.0, 0.7), (8.0, 0.3)] {
                        let z = (energy - 5 * Double(u) - photon) / sd
                        likelihood += poisson * p * chance * Foundation.exp(-0.5 * z * z) / sd
                    }
                }
                poisson *= extraJets[process] / Double(n)  // P(extra = n) from P(extra = n − 1)
            }
            return prior * likelihood
        }
        let total = posterior.reduce(0, +)
        for k in posterior.indices { posterior[k] /= total }
        return posterior
    }

    @Test("Installed front end: find_package and pkg-config consumers run under lumis infer; exact posterior")
    func installedFrontEndAndExample() throws {
        let lumis = try Executables.lumis()
        let directory = try Executables.temporaryDirectory("attach")
        defer { try? FileManager.default.removeItem(at: directory) }
        let prefix = directory.appendingPathComponent("prefix").path
        let source = Executables.repositoryRoot.appendingPathComponent("simulators").path

        // Part 4: install only the front end, then build the example against the prefix alone.
        _ = try Self.shell(
            "cmake -S '\(source)' -B '\(directory.path)/front-end' -DLUMIS_FRONT_END_ONLY=ON"
                + " -DCMAKE_INSTALL_PREFIX='\(prefix)' > /dev/null"
                + " && cmake --build '\(directory.path)/front-end' -j2 > /dev/null"
                + " && cmake --install '\(directory.path)/front-end' > /dev/null")
        for file in [
            "include/lumis/lumis.hpp", "include/lumis/ppx_generated.h", "lib/liblumis_simulator.a",
            "lib/cmake/Lumis/LumisConfig.cmake", "lib/pkgconfig/lumis-simulator.pc",
        ] {
            #expect(FileManager.default.fileExists(atPath: "\(prefix)/\(file)"), "\(file) not installed")
        }
        // The front-end-only build made no simulators.
        #expect(!FileManager.default.fileExists(atPath: "\(directory.path)/front-end/bin/gum"))
        _ = try Self.shell(
            "cmake -S '\(Self.example.path)' -B '\(directory.path)/example' -DCMAKE_PREFIX_PATH='\(prefix)' > /dev/null"
                + " && cmake --build '\(directory.path)/example' -j2 > /dev/null")
        let viaCMake = "\(directory.path)/example/generator_lumis"
        let viaPkgConfig = "\(directory.path)/generator_pkgconfig"
        let sources = ["attach.cpp", "generator.cpp", "rng_lumis.cpp"].map { "'\(Self.example.path)/\($0)'" }
        _ = try Self.shell(
            "c++ -O2 -std=c++17 -o '\(viaPkgConfig)' \(sources.joined(separator: " "))"
                + " $(pkg-config --cflags --libs lumis-simulator)",
            environment: ["PKG_CONFIG_PATH": "\(prefix)/lib/pkgconfig"])
        // The original generator still builds and runs on its own RNG.
        let original = try Executables.run("\(directory.path)/example/generator", ["2", "7"])
        #expect(original.status == 0 && original.standardOutput.split(separator: "\n").count == 2)

        // Part 3: the attached generator under lumis infer, against exact enumeration.
        let energy = 70.0
        for (binary, traces) in [(viaCMake, 20_000), (viaPkgConfig, 500)] {
            let out = directory.appendingPathComponent("posterior-\(traces).json").path
            let run = try Executables.run(
                lumis,
                [
                    "infer", "--launch", "\(binary) {endpoint}", "--observe", "energy=\(energy)", "--traces",
                    "\(traces)", "--seed", "31", "--out", out, "--no-progress",
                ])
            #expect(run.status == 0, "\(run.standardError)")
            guard run.status == 0 else { continue }
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
            #expect(json["model"] as? String == "Toy event generator")
            let result = try #require(json["result"] as? [String: Any])
            let mean = try #require((result["mean"] as? [NSNumber])?.map(\.doubleValue))
            let ess = try #require((json["ess"] as? NSNumber)?.doubleValue)
            if traces == 20_000 {
                let exact = Self.exactProcessPosterior(energy: energy)
                for (process, (estimate, p)) in zip(mean, exact).enumerated() {
                    #expect(
                        abs(estimate - p) <= 4 * (p * (1 - p) / ess).squareRoot(),
                        "process \(process): \(estimate) vs exact \(p), ESS \(ess)")
                }
            }
            // Every draw goes through one Rng, yet each call path has its own address: the process pick, the
            // jet count, the flavour pick and the smearing of each jet, and the photon's flat draw.
            let keys = try #require((json["addresses"] as? [String: Any])?.keys)
            let addresses = Set(
                keys.compactMap { key in key.range(of: "__", options: .backwards).map { key[..<$0.lowerBound] } })
            #expect(addresses.count == 5, "\(addresses.sorted())")
            for address in addresses {
                #expect(address.contains("Generator::generate()+0x") && address.contains(";Rng::"), "\(address)")
            }
            // The process pick and the flavour pick both call Rng::pick, from different places; the flavour pick
            // repeats once per jet (instances 1, 2, ...). (hadronise is inlined into generate at -O2, so its name
            // does not appear: the return addresses inside generate still tell the call paths apart.)
            let picks = addresses.filter { $0.contains(";Rng::pick(") }
            #expect(picks.count == 2, "\(picks.sorted())")
            #expect(picks.contains { pick in keys.contains("\(pick)__2") })
            #expect(addresses.filter { $0.contains(";Rng::gauss(") }.count == 1)
        }
    }
}
