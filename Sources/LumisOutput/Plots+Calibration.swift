public import LumisInference
public import LumisStorage

extension Plots {
    /// The bins of a rank (PIT) histogram of `count` values: 20, or fewer for small counts (at least 5 values
    /// expected per bin, never below 5 bins).
    public static func rankBinCount(values count: Int) -> Int { max(5, min(20, count / 5)) }

    /// A rank histogram: the PIT values of one latent over a calibration run's events, in equal bins of [0, 1],
    /// with the band a calibrated engine's counts fall in.
    ///
    /// Each bin is drawn as `<rect class="bar">` of height its count. The band (`<rect class="band">`) spans the
    /// central 99% of a bin's count for a calibrated engine, `n/B ± 2.576·√(n(1/B)(1 − 1/B))` for *n* values in
    /// *B* bins (the normal approximation to Binomial(*n*, 1/*B*), as in Talts et al. 2018), and a line marks
    /// the expected count `n/B`. A U shape means an overconfident posterior, a hump an underconfident one, a
    /// slope a biased one (docs/calibration.md).
    /// - Parameters:
    ///   - label: the latent's label.
    ///   - pits: the PIT values, each in [0, 1].
    ///   - binCount: the number of bins; by default ``rankBinCount(values:)``.
    /// - Returns: the SVG text.
    public static func rankHistogram(label: String, pits: [Double], binCount: Int? = nil) -> String {
        let bins = binCount ?? rankBinCount(values: pits.count)
        precondition(bins > 0, "A histogram needs at least one bin")
        var counts = [Int](repeating: 0, count: bins)
        for pit in pits { counts[min(max(Int(pit * Double(bins)), 0), bins - 1)] += 1 }
        let n = Double(pits.count)
        let p = 1 / Double(bins)
        let expected = n * p
        let halfWidth = 2.576 * (n * p * (1 - p)).squareRoot()
        let top = max(Double(counts.max() ?? 0), expected + halfWidth, 1) * 1.1
        var frame = Frame(xRange: 0...1, yRange: 0...top)
        var document = frame.begin(
            title: "\(label): rank histogram (\(pits.count) events)", xLabel: "PIT value", yLabel: "events")
        let lower = max(0, expected - halfWidth)
        document.rect(
            x: frame.x(0), y: frame.y(expected + halfWidth), width: frame.x(1) - frame.x(0),
            height: frame.y(lower) - frame.y(expected + halfWidth),
            [("class", "band"), ("fill", "#999"), ("fill-opacity", "0.25")])
        for (bin, count) in counts.enumerated() where count > 0 {
            let x0 = frame.x(Double(bin) / Double(bins))
            let x1 = frame.x(Double(bin + 1) / Double(bins))
            let y = frame.y(Double(count))
            document.rect(
                x: x0, y: y, width: x1 - x0, height: frame.y(0) - y,
                [
                    ("class", "bar"), ("data-count", "\(count)"), ("fill", Frame.color(0)), ("fill-opacity", "0.6"),
                    ("stroke", "white"), ("stroke-width", "0.5"),
                ])
        }
        document.line(
            x1: frame.x(0), y1: frame.y(expected), x2: frame.x(1), y2: frame.y(expected),
            [("class", "expected"), ("stroke", "black"), ("stroke-dasharray", "4 3")])
        return frame.end(&document)
    }

    /// Writes a rank histogram per latent of `report` and an `index.html` listing them with their coverages.
    ///
    /// - Parameters:
    ///   - report: the calibration.
    ///   - directory: an existing directory.
    /// - Returns: the paths written, `index.html` last.
    /// - Throws: `StorageError` for a file that cannot be written.
    public static func writeRankHistograms(_ report: CalibrationReport, to directory: String) throws(StorageError)
        -> [String]
    {
        var paths: [String] = []
        var used = Set<String>()
        var index = """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>Lumis calibration</title></head>
            <body>
            <h1>Lumis calibration: \(SVGDocument.escape(report.model)), engine \(SVGDocument.escape(report.engine))</h1>
            <p>\(report.events) events, \(report.tracesPerEvent) traces per event. Grey band: 99% range of a bin's \
            count for a calibrated engine; dashed line: the expected count.</p>

            """
        for label in report.labels {
            guard let variable = report.variables[label] else { continue }
            var stem = String(
                label.unicodeScalars.map {
                    $0.isASCII
                        && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0))
                        ? Character($0) : "_"
                })
            while used.contains(stem) { stem += "_" }
            used.insert(stem)
            let name = "\(stem).rank.svg"
            try writeAtomically(
                Array(rankHistogram(label: label, pits: variable.definedPITs).utf8), toFile: "\(directory)/\(name)")
            paths.append("\(directory)/\(name)")
            let flags =
                variable.flags.isEmpty
                ? "" : " <b>MISCALIBRATED</b>: " + SVGDocument.escape(variable.flags.joined(separator: "; "))
            index += "<h2>\(SVGDocument.escape(label))</h2>\n"
            index +=
                "<p>coverage 50%: \(variable.coverage(level: 0.5)), 90%: \(variable.coverage(level: 0.9))\(flags)</p>\n"
            index +=
                "<p><img src=\"\(SVGDocument.escape(name))\" width=\"480\" alt=\"\(SVGDocument.escape(label)) rank histogram\"></p>\n"
        }
        index += "</body></html>\n"
        try writeAtomically(Array(index.utf8), toFile: "\(directory)/index.html")
        paths.append("\(directory)/index.html")
        return paths
    }
}
