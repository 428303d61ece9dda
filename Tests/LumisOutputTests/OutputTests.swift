import Foundation
import LumisCore
import LumisInference
import LumisOutput
import LumisTensor
import Testing

@Suite struct DrawsCSVTests {
    @Test func writesOneRowPerDrawWithElementColumns() throws {
        let text = DrawsCSV.text(of: DrawTable(chains: sampleChainSet()))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(
            lines[0] == "chain,draw,weight,log_weight,\"m[0,0]\",\"m[0,1]\",\"m[1,0]\",\"m[1,1]\",mu,walk__1,(result)")
        #expect(lines.count == 1 + 7)
        #expect(lines[1] == "0,0,\(1.0 / 7),0.0,0.0,0.25,0.5,0.75,0.0,-0.0,0.0")
        #expect(lines[7] == "1,3,\(1.0 / 7),0.0,13.0,13.25,13.5,13.75,13.0,-13.0,26.0")
        let contents = try DrawsCSV.parse(text, path: "draws.csv")
        #expect(contents.labels == ["m[0,0]", "m[0,1]", "m[1,0]", "m[1,1]", "mu", "walk__1", "(result)"])
        #expect(contents.chains == [0, 0, 0, 1, 1, 1, 1])
        let (values, weights) = contents.series(ofColumn: 4)
        #expect(values == [[0, 1, 2], [10, 11, 12, 13]])
        #expect(weights.flatMap { $0 }.allSatisfy { $0 == 1.0 / 7 })
    }

    @Test func importanceSamplingHasOneChainWithNormalisedWeights() throws {
        var store = TraceStore()
        for (index, logWeight) in [0.0, log(3.0)].enumerated() {
            store.append(modelTrace(mu: Double(index), step: 0, matrix: [0, 0, 0, 0], logWeight: logWeight))
        }
        let contents = try DrawsCSV.parse(DrawsCSV.text(of: DrawTable(posterior: Posterior(store: store))), path: "x")
        #expect(contents.chains == [0, 0])
        #expect(abs(contents.weights[0] - 0.25) < 1e-15 && abs(contents.weights[1] - 0.75) < 1e-15)
        #expect(contents.logWeights == [0, log(3.0)])
    }

    @Test func logWeightsKeepWhatNormalisedWeightsLose() throws {
        var store = TraceStore()
        for logWeight in [0.0, -800.0] {
            store.append(modelTrace(mu: 1, step: 0, matrix: [0, 0, 0, 0], logWeight: logWeight))
        }
        let contents = try DrawsCSV.parse(DrawsCSV.text(of: DrawTable(posterior: Posterior(store: store))), path: "x")
        // exp(-800) underflows: the normalised weight is 0, the log weight keeps the draw's relative weight.
        #expect(contents.weights == [1, 0])
        #expect(contents.logWeights == [0, -800])
    }

    @Test func filesWithoutTheLogWeightColumnStillRead() throws {
        let contents = try DrawsCSV.parse("chain,draw,weight,mu\n0,0,1,2.5\n", path: "old.csv")
        #expect(contents.labels == ["mu"] && contents.columns == [[2.5]] && contents.logWeights.isEmpty)
    }

    @Test func missingValuesAreEmptyCellsAndBadCellsAreNamed() throws {
        var store = TraceStore()
        store.append(modelTrace(mu: 1, step: 2, matrix: [0, 0, 0, 0]))
        var short = Trace()
        short.entries = [modelTrace(mu: 5, step: 0, matrix: [0, 0, 0, 0]).entries[0]]
        store.append(short)
        let text = DrawsCSV.text(of: DrawTable(posterior: Posterior(store: store)))
        #expect(text.split(separator: "\n")[2] == "0,1,0.5,0.0,,,,,5.0,,")
        #expect(throws: PosteriorFileError.self) { try DrawsCSV.parse("chain,draw,weight,a\n0,0,1,zz\n", path: "f") }
        do {
            _ = try DrawsCSV.parse("chain,draw,weight,a\n0,0,1,zz\n", path: "f")
        } catch {
            #expect(error.description.contains("line 2, column 'a': 'zz' is not a number"))
        }
    }
}

@Suite struct InferenceDataFileTests {
    /// Writes an MCMC chain set and reads it back with Python's netCDF4 (and ArviZ where installed).
    ///
    /// CI installs both (scripts/install-dependencies.sh); a machine without them fails here, by design.
    @Test func pythonReadsTheGroupsShapesAndValues() throws {
        let directory = try temporaryDirectory("netcdf")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/run.nc"
        let chains = sampleChainSet()
        let observations = ["obs0": Tensor(8.0), "obs1": Tensor(9.0)]
        try OutputWriters.write(
            chainSummary(chains, observations: observations), chains: chains, options: OutputOptions(netCDF: path))
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["run.nc"])

        let python = ProcessInfo.processInfo.environment["LUMIS_PYTHON"] ?? "python3"
        let script = repositoryRoot + "/scripts/dump-inference-data.py"
        let result: (status: Int32, output: String, error: String)
        do {
            result = try run(python, [script, path])
        } catch {
            Issue.record("cannot run \(python): \(error); install Python 3 with `pip install netCDF4 arviz`")
            return
        }
        try #require(
            result.status == 0,
            "\(python) \(script) failed (is netCDF4 installed? `pip install netCDF4 arviz`):\n\(result.error)")
        let dump = try #require(
            try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let groups = try #require(dump["groups"] as? [String: [String: [String: Any]]])
        #expect(Set(groups.keys) == ["posterior", "sample_stats", "observed_data"])
        let posterior = try #require(groups["posterior"])
        func values(_ variable: [String: Any]?) -> [Double?] {
            (variable?["values"] as? [Any])?.map { $0 as? Double } ?? []
        }
        #expect(posterior["mu"]?["dimensions"] as? [String] == ["chain", "draw"])
        #expect(posterior["mu"]?["shape"] as? [Int] == [2, 4])
        #expect(values(posterior["mu"]) == [0, 1, 2, nil, 10, 11, 12, 13])
        #expect(values(posterior["walk__1"]) == [-0.0, -1, -2, nil, -10, -11, -12, -13])
        #expect(values(posterior["result"]) == [0, 2, 4, nil, 20, 22, 24, 26])
        #expect(posterior["result"]?["attributes"] as? [String: String] == ["lumis_label": "(result)"])
        #expect(posterior["m"]?["dimensions"] as? [String] == ["chain", "draw", "m_dim_0", "m_dim_1"])
        #expect(posterior["m"]?["shape"] as? [Int] == [2, 4, 2, 2])
        #expect(Array(values(posterior["m"]).suffix(4)) == [13, 13.25, 13.5, 13.75])
        #expect(values(posterior["chain"]) == [0, 1])
        #expect(values(posterior["draw"]) == [0, 1, 2, 3])
        let stats = try #require(groups["sample_stats"])
        #expect(values(stats["proposals"]) == [10, 11])
        #expect(values(stats["accepted_proposals"]) == [4, 5])
        // Foundation's JSON parser may round the last bit of a decimal: compare closely, not exactly.
        let rates = values(stats["acceptance_rate"]).compactMap { $0 }
        #expect(rates.count == 2 && abs(rates[0] - 0.4) < 1e-15 && abs(rates[1] - 5.0 / 11) < 1e-15)
        #expect(values(stats["reuse_rate"]) == [0.35, 0.35])
        #expect(values(stats["restarts"]) == [0, 1])
        #expect(stats["log_weight"]?["shape"] as? [Int] == [2, 4])
        #expect(values(stats["lp"]) == [-0.5, -1.5, -2.5, nil, -10.5, -11.5, -12.5, -13.5])
        #expect(stats["weight"] == nil)
        let attributes = try #require(dump["attributes"] as? [String: String])
        #expect(attributes["engine"] == "rmh" && attributes["model"] == "test" && attributes["seed"] == "5")
        #expect(attributes["traces"] == "7" && attributes["inference_library"] == "lumis")
        #expect(attributes["inference_library_version"] == LumisVersion.current)
        #expect(attributes["created_at"]?.hasSuffix("Z") == true && attributes["effective_sample_size"] == nil)
        let observed = try #require(groups["observed_data"])
        #expect(values(observed["obs0"]) == [8] && values(observed["obs1"]) == [9])
        #expect(observed["obs0"]?["dimensions"] as? [String] == ["obs0_dim_0"])
        if let arviz = dump["arviz"] as? [String: Any] {
            #expect(arviz["groups"] as? [String] == ["observed_data", "posterior", "sample_stats"])
            let sizes = arviz["posterior_sizes"] as? [String: Int]
            #expect(sizes?["chain"] == 2 && sizes?["draw"] == 4)
        }
    }

    @Test func unwritablePathThrowsNamingIt() {
        do {
            try InferenceDataFile.write(
                InferenceDataFile.Contents(table: DrawTable(chains: sampleChainSet())),
                toFile: "/nonexistent-lumis-dir/run.nc")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("/nonexistent-lumis-dir/run.nc"))
        }
    }
}

@Suite struct PlotsTests {
    /// The numbers of `attribute` on every element `<name … class="className" …>` of `svg`.
    static func elements(_ svg: String, _ name: String, class className: String) -> [[String: String]] {
        var result: [[String: String]] = []
        for line in svg.split(separator: "\n")
        where line.hasPrefix("<\(name) ") && line.contains("class=\"\(className)\"") {
            var attributes: [String: String] = [:]
            let parts = line.split(separator: "\"")
            var index = 0
            while index + 1 < parts.count {
                let key = parts[index].split(separator: " ").last.map(String.init)?.replacingOccurrences(
                    of: "=", with: "")
                if let key { attributes[key] = String(parts[index + 1]) }
                index += 2
            }
            result.append(attributes)
        }
        return result
    }

    @Test func histogramBarsMatchTheData() throws {
        var generator = SplitMix(state: 7)
        let values = (0..<1000).map { _ in Double(generator.next() >> 11) * 0x1p-53 * 4 - 1 }
        let weights = values.map { _ in 1.0 }
        let series = PlotSeries(label: "x", chains: [values], weights: [weights])
        let svg = Plots.histogram(series, binCount: 8, overlay: { _ in 0.25 })
        let plot = try #require(Self.elements(svg, "g", class: "plot").first)
        let xMin = try #require(Double(plot["data-x-min"] ?? "")), xMax = try #require(Double(plot["data-x-max"] ?? ""))
        let yMax = try #require(Double(plot["data-y-max"] ?? ""))
        #expect(xMin == values.min() && xMax == values.max())
        let width = (xMax - xMin) / 8
        var counts = [Int](repeating: 0, count: 8)
        for value in values { counts[min(Int((value - xMin) / width), 7)] += 1 }
        let bars = Self.elements(svg, "rect", class: "bar")
        #expect(bars.count == 8)
        for (bin, bar) in bars.enumerated() {
            let x = try #require(Double(bar["x"] ?? "")), barWidth = try #require(Double(bar["width"] ?? ""))
            let height = try #require(Double(bar["height"] ?? ""))
            #expect(abs(x - (Plots.plotLeft + Double(bin) / 8 * Plots.plotWidth)) < 1e-3)
            #expect(abs(barWidth - Plots.plotWidth / 8) < 2e-3)
            let density = Double(counts[bin]) / (1000 * width)
            #expect(abs(height - density / yMax * Plots.plotHeight) < 1e-3, "bin \(bin)")
        }
        #expect(Self.elements(svg, "polyline", class: "overlay").count == 1)
    }

    /// Every plot renders to PNG with rsvg-convert (librsvg2-bin, installed by scripts/install-dependencies.sh).
    @Test func plotsRenderWithRsvg() throws {
        let directory = try temporaryDirectory("plots")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let paths = try Plots.writeAll(PlotSeries.all(in: DrawTable(chains: sampleChainSet())), to: directory)
        #expect(paths.count == 7 * 3 + 1)
        #expect(paths.contains(directory + "/m_0_1_.histogram.svg"))
        #expect(paths.last == directory + "/index.html")
        for path in paths.dropLast() {
            let png = path + ".png"
            let result: (status: Int32, output: String, error: String)
            do {
                result = try run("rsvg-convert", ["-o", png, path])
            } catch {
                Issue.record("cannot run rsvg-convert (apt-get install librsvg2-bin): \(error)")
                return
            }
            #expect(result.status == 0, "rsvg-convert \(path): \(result.error)")
            let bytes = try #require(FileManager.default.contents(atPath: png))
            #expect(bytes.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        }
    }
}

/// SplitMix64 for repeatable test data.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A weighted run's NetCDF file: an equally weighted resample in `posterior`, the weighted draws beside it.
@Suite struct WeightedInferenceDataTests {
    /// Ten draws mu = 0…9 with weights ∝ 2^mu: a resample favours the large values.
    static func weightedRun() -> (PosteriorSummary, Posterior) {
        var store = TraceStore()
        for mu in 0..<10 {
            store.append(modelTrace(mu: Double(mu), step: 0, matrix: [0, 0, 0, 0], logWeight: Double(mu) * log(2.0)))
        }
        let posterior = Posterior(store: store)
        let summary = posterior.summary(metadata: PosteriorMetadata(engine: "is", seed: 11, model: "test"))
        return (summary, posterior)
    }

    @Test func posteriorHoldsTheResampleAndWeightedGroupsTheDraws() throws {
        let directory = try temporaryDirectory("netcdf-weighted")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/is.nc"
        let (summary, posterior) = Self.weightedRun()
        try OutputWriters.write(summary, posterior: posterior, options: OutputOptions(netCDF: path))
        let python = ProcessInfo.processInfo.environment["LUMIS_PYTHON"] ?? "python3"
        let result = try run(python, [repositoryRoot + "/scripts/dump-inference-data.py", path])
        try #require(result.status == 0, "\(result.error)")
        let dump = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let groups = try #require(dump["groups"] as? [String: [String: [String: Any]]])
        #expect(
            Set(groups.keys) == [
                "posterior", "sample_stats", "weighted_posterior", "weighted_sample_stats", "observed_data",
            ])
        func values(_ group: String, _ name: String) -> [Double] {
            ((groups[group]?[name]?["values"] as? [Any]) ?? []).compactMap { $0 as? Double }
        }
        #expect(values("weighted_posterior", "mu") == (0..<10).map(Double.init))
        // Foundation's JSON parser may round the last bit of a decimal: compare closely, not exactly.
        let logWeights = values("weighted_sample_stats", "log_weight")
        #expect(logWeights.count == 10)
        #expect(zip(logWeights, 0..<10).allSatisfy { abs($0 - Double($1) * log(2.0)) < 1e-14 })
        let weights = values("weighted_sample_stats", "weight")
        #expect(zip(weights, posterior.normalizedWeights).allSatisfy { abs($0 - $1) < 1e-15 })
        // The resample: as many draws as traces, each one of the weighted draws, index recorded.
        let resampled = values("posterior", "mu")
        let indices = values("sample_stats", "weighted_draw").map { Int($0) }
        #expect(resampled.count == 10 && indices.count == 10)
        #expect(zip(resampled, indices).allSatisfy { $0 == Double($1) })
        // Systematic resampling draws trace i between ⌊N wᵢ⌋ and ⌈N wᵢ⌉ times.
        for (trace, weight) in posterior.normalizedWeights.enumerated() {
            let count = Double(indices.count { $0 == trace })
            #expect(count >= (10 * weight).rounded(.down) && count <= (10 * weight).rounded(.up), "trace \(trace)")
        }
        let attributes = try #require(dump["attributes"] as? [String: String])
        #expect(attributes["engine"] == "is" && attributes["seed"] == "11" && attributes["traces"] == "10")
        let ess = try #require(Double(attributes["effective_sample_size"] ?? ""))
        #expect(abs(ess - (summary.effectiveSampleSize ?? 0)) < 1e-9)
        // The same seed resamples the same draws: the file's content is repeatable.
        let again = directory + "/again.nc"
        try OutputWriters.write(summary, posterior: posterior, options: OutputOptions(netCDF: again))
        let second = try run(python, [repositoryRoot + "/scripts/dump-inference-data.py", again])
        let secondDump = try #require(
            try JSONSerialization.jsonObject(with: Data(second.output.utf8)) as? [String: Any])
        let secondGroups = try #require(secondDump["groups"] as? [String: [String: [String: Any]]])
        #expect((secondGroups["posterior"]?["mu"]?["values"] as? [Double]) == resampled)
    }
}

/// Outputs are checked before the run and written all or nothing.
@Suite struct OutputCheckTests {
    @Test func refusesSamePathDirectoriesLinksAndDevices() throws {
        let directory = try temporaryDirectory("output-check")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/run.json"
        let link = directory + "/link.json"
        _ = FileManager.default.createFile(atPath: directory + "/target.json", contents: Data("{}".utf8))
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: directory + "/target.json")
        let cases: [(OutputOptions, [String])] = [
            (
                OutputOptions(posterior: file, drawsCSV: directory + "/./run.json"),
                ["--out", "--draws-csv", "same file"]
            ),
            (OutputOptions(netCDF: directory), ["--netcdf", "is a directory"]),
            (OutputOptions(drawsCSV: link), ["--draws-csv", "symbolic link"]),
            (OutputOptions(posterior: "/dev/null"), ["--out", "/dev/null", "not a regular file"]),
            (OutputOptions(posterior: "/nonexistent-lumis/p.json"), ["--out", "/nonexistent-lumis"]),
        ]
        for (options, mentions) in cases {
            do {
                try options.check()
                Issue.record("\(options) passed the check")
            } catch {
                for mention in mentions { #expect(error.description.contains(mention), "\(error)") }
                #expect(!error.description.contains("\n"))
            }
        }
        try OutputOptions(posterior: file, drawsCSV: directory + "/run.csv", netCDF: directory + "/target.json")
            .check()
        #expect(try String(contentsOfFile: directory + "/target.json", encoding: .utf8) == "{}")
    }

    @Test func aFailingOutputLeavesNoFileWrittenOrReplaced() throws {
        let directory = try temporaryDirectory("output-atomic")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let json = directory + "/run.json"
        _ = FileManager.default.createFile(atPath: json, contents: Data("old".utf8))
        let (summary, posterior) = WeightedInferenceDataTests.weightedRun()
        let options = OutputOptions(
            posterior: json, drawsCSV: directory + "/run.csv", netCDF: directory + "/missing/run.nc")
        do {
            try OutputWriters.write(summary, posterior: posterior, options: options)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("--netcdf") && error.description.contains("missing/run.nc"))
            #expect(error.description.contains("no output was written"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["run.json"])
        #expect(try String(contentsOfFile: json, encoding: .utf8) == "old")
        // With every path writable, all three appear.
        let good = OutputOptions(posterior: json, drawsCSV: directory + "/run.csv", netCDF: directory + "/run.nc")
        #expect(
            try OutputWriters.write(summary, posterior: posterior, options: good) == [json, good.drawsCSV, good.netCDF])
        #expect(try PosteriorSummary(contentsOfFile: json).traceCount == summary.traceCount)
    }
}

@Suite struct WeightedPlotTests {
    @Test func histogramSpansTheWeightedMassNotEveryDraw() throws {
        // 1,000 draws in [0, 1) carry the weight; one draw at 1,000 has weight 1e-9 of the total.
        var generator = SplitMix(state: 3)
        var values = (0..<1000).map { _ in Double(generator.next() >> 11) * 0x1p-53 }
        var weights = values.map { _ in 1.0 }
        values.append(1000)
        weights.append(1e-6)
        let svg = Plots.histogram(PlotSeries(label: "x", chains: [values], weights: [weights]))
        let plot = try #require(PlotsTests.elements(svg, "g", class: "plot").first)
        let xMax = try #require(Double(plot["data-x-max"] ?? ""))
        #expect(xMax < 1, "range reaches \(xMax)")
    }

    @Test func discreteValuesAreBarsOfProbabilities() throws {
        let values: [Double] = [0, 1, 1, 2, 2, 2]
        let weights: [Double] = [1, 1, 1, 1, 1, 5]
        let series = PlotSeries(label: "k", chains: [values], weights: [weights])
        #expect(series.isDiscrete)
        let bars = PlotsTests.elements(Plots.histogram(series), "rect", class: "bar")
        #expect(bars.map { $0["data-value"] } == ["0.0", "1.0", "2.0"])
        let probabilities = bars.compactMap { Double($0["data-probability"] ?? "") }
        #expect(zip(probabilities, [0.1, 0.2, 0.7]).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(!PlotSeries(label: "x", chains: [[0.5, 1]], weights: [[1, 1]]).isDiscrete)
    }

    @Test func weightedRunsGetHistogramsAndAnIndexOnly() throws {
        let directory = try temporaryDirectory("plots-weighted")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (_, posterior) = WeightedInferenceDataTests.weightedRun()
        let series = PlotSeries.all(in: DrawTable(posterior: posterior))
        let paths = try Plots.writeAll(series, isWeighted: true, to: directory)
        #expect(paths.count == series.count + 1)
        #expect(!paths.contains { $0.hasSuffix(".trace.svg") || $0.hasSuffix(".autocorrelation.svg") })
        let index = try String(contentsOfFile: directory + "/index.html", encoding: .utf8)
        for path in paths.dropLast() {
            let name = String(path.split(separator: "/").last!)  // paths are absolute
            #expect(index.contains("href=\"\(name)\""), "\(name)")
        }
    }
}
