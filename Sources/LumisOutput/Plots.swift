import Glibc
public import LumisInference
public import LumisStorage

/// One scalar series to plot: every chain's draws with their weights (one chain for importance sampling).
public struct PlotSeries: Sendable {
    /// The series' label, for example `mu` or `x[0,1]`.
    public var label: String
    /// `chains[c][d]`: draw *d* of chain *c*; NaN for a draw lacking the value (left out).
    public var chains: [[Double]]
    /// Weights parallel to `chains` (need not be normalised).
    public var weights: [[Double]]

    /// Creates a series.
    ///
    /// - Precondition: `weights` has the shape of `chains`.
    public init(label: String, chains: [[Double]], weights: [[Double]]) {
        precondition(chains.map(\.count) == weights.map(\.count), "One weight per draw")
        self.label = label
        self.chains = chains
        self.weights = weights
    }

    /// Whether the series looks discrete: every finite draw of positive weight is an integer and there are at
    /// most 50 distinct values (Categorical, Bernoulli, Poisson and the like; a continuous variable never
    /// lands on integers only).
    public var isDiscrete: Bool {
        var distinct = Set<Double>()
        for (chain, weights) in zip(chains, weights) {
            for (value, weight) in zip(chain, weights) where value.isFinite && weight > 0 {
                guard value == value.rounded() else { return false }
                distinct.insert(value)
                if distinct.count > 50 { return false }
            }
        }
        return !distinct.isEmpty
    }

    /// One series per scalar element of every column of `table`, labelled as the CSV labels its columns.
    public static func all(in table: DrawTable) -> [PlotSeries] {
        var result: [PlotSeries] = []
        var weights: [[Double]] = []
        var row = 0
        for length in table.chainLengths {
            weights.append(Array(table.weights[row..<row + length]))
            row += length
        }
        for (index, column) in table.columns.enumerated() {
            for element in 0..<column.elementCount {
                let label =
                    column.shape.isEmpty
                    ? column.label : column.label + DrawTable.elementLabel(element, shape: column.shape)
                result.append(
                    PlotSeries(
                        label: label, chains: table.chains(ofColumn: index, element: element), weights: weights))
            }
        }
        return result
    }
}

/// SVG plots of posterior draws: histogram (with an optional density overlay), trace per chain, and
/// autocorrelation per chain.
///
/// Every plot is ``width`` × ``height`` pixels with its data drawn in the frame ``plotLeft``, ``plotTop``,
/// ``plotWidth``, ``plotHeight``. The frame's group, `<g class="plot">`, records the axis ranges in
/// `data-x-min`, `data-x-max`, `data-y-min`, `data-y-max`, so the drawing can be checked against the data.
public enum Plots {
    /// The picture's width.
    public static let width = 640.0
    /// The picture's height.
    public static let height = 400.0
    /// The frame's left edge.
    public static let plotLeft = 70.0
    /// The frame's top edge.
    public static let plotTop = 36.0
    /// The frame's width.
    public static let plotWidth = 540.0
    /// The frame's height.
    public static let plotHeight = 310.0

    /// The smallest weight fraction left out on each side of a histogram's range.
    public static let tailMass = 0.001

    /// A weighted density histogram of all chains' finite draws, or for a discrete series (see
    /// ``PlotSeries/isDiscrete``) a bar chart of each value's probability.
    ///
    /// Bin *k* of width *h* is drawn as `<rect class="bar">` of height proportional to `W_k / (W h)`, with
    /// `W_k` the weight in the bin and `W` the total weight of finite draws (bins are `[a, b)`, the last one
    /// closed). The range spans the weighted mass: from the smallest value with at least ``tailMass`` of the
    /// weight at or below it to the largest with at least ``tailMass`` at or above it (±0.5 if equal), so a few
    /// far-out draws of negligible weight do not squeeze the bulk into one bin; draws outside are left out of
    /// the bars but not out of `W`.
    /// - Parameters:
    ///   - series: the draws.
    ///   - binCount: bins; by default `√n` clamped to 10…60 for *n* finite draws.
    ///   - overlay: a density to draw over the bars (e.g. the exact posterior), as `<polyline class="overlay">`.
    /// - Returns: the SVG text.
    public static func histogram(
        _ series: PlotSeries, binCount: Int? = nil, overlay: ((Double) -> Double)? = nil
    ) -> String {
        if series.isDiscrete && binCount == nil && overlay == nil { return probabilities(series) }
        var pairs: [(Double, Double)] = []
        for (chain, weights) in zip(series.chains, series.weights) {
            for (value, weight) in zip(chain, weights) where value.isFinite && weight > 0 {
                pairs.append((value, weight))
            }
        }
        let bins = binCount ?? min(60, max(10, Int(Double(pairs.count).squareRoot().rounded(.up))))
        precondition(bins > 0, "A histogram needs at least one bin")
        var (lower, upper) = massRange(pairs)
        if lower == upper { (lower, upper) = (lower - 0.5, upper + 0.5) }
        let binWidth = (upper - lower) / Double(bins)
        var mass = [Double](repeating: 0, count: bins)
        var total = 0.0
        for (value, weight) in pairs {
            total += weight
            guard value >= lower && value <= upper else { continue }
            mass[min(Int((value - lower) / binWidth), bins - 1)] += weight
        }
        let densities = mass.map { total > 0 ? $0 / (total * binWidth) : 0 }
        var overlayPoints: [(Double, Double)] = []
        if let overlay {
            for step in 0...200 {
                let x = lower + (upper - lower) * Double(step) / 200
                let y = overlay(x)
                if y.isFinite { overlayPoints.append((x, y)) }
            }
        }
        let top = max(densities.max() ?? 0, overlayPoints.map(\.1).max() ?? 0) * 1.05
        var frame = Frame(xRange: lower...upper, yRange: 0...(top > 0 ? top : 1))
        var document = frame.begin(
            title: "\(series.label): posterior histogram", xLabel: series.label, yLabel: "density")
        for (bin, density) in densities.enumerated() where density > 0 {
            let x0 = frame.x(lower + Double(bin) * binWidth)
            let x1 = frame.x(bin == bins - 1 ? upper : lower + Double(bin + 1) * binWidth)
            let y = frame.y(density)
            document.rect(
                x: x0, y: y, width: x1 - x0, height: frame.y(0) - y,
                [
                    ("class", "bar"), ("fill", Frame.color(0)), ("fill-opacity", "0.6"), ("stroke", "white"),
                    ("stroke-width", "0.5"),
                ])
        }
        if !overlayPoints.isEmpty {
            document.polyline(
                overlayPoints.map { (frame.x($0.0), frame.y($0.1)) },
                [("class", "overlay"), ("stroke", "black"), ("stroke-width", "1.5")])
        }
        return frame.end(&document)
    }

    /// The range holding all but ``tailMass`` of the weight on each side of `pairs` (value, weight); (0, 1) for none.
    static func massRange(_ pairs: [(Double, Double)]) -> (Double, Double) {
        guard !pairs.isEmpty else { return (0, 1) }
        let sorted = pairs.sorted { $0.0 < $1.0 }
        let total = sorted.reduce(0) { $0 + $1.1 }
        let cut = tailMass * total * (1 - 1e-12)
        var lower = sorted[0].0
        var cumulative = 0.0
        for (value, weight) in sorted {
            cumulative += weight
            if cumulative >= cut {
                lower = value
                break
            }
        }
        var upper = sorted[sorted.count - 1].0
        cumulative = 0
        for (value, weight) in sorted.reversed() {
            cumulative += weight
            if cumulative >= cut {
                upper = value
                break
            }
        }
        return (lower, upper)
    }

    /// A bar chart of the probability of each distinct finite value: `<rect class="bar" data-value="v">`,
    /// its height proportional to the value's share of the finite draws' weight.
    public static func probabilities(_ series: PlotSeries) -> String {
        var mass: [Double: Double] = [:]
        var total = 0.0
        for (chain, weights) in zip(series.chains, series.weights) {
            for (value, weight) in zip(chain, weights) where value.isFinite && weight > 0 {
                mass[value, default: 0] += weight
                total += weight
            }
        }
        let values = mass.keys.sorted()
        let lower = (values.first ?? 0) - 0.5
        let upper = (values.last ?? 0) + 0.5
        let probabilities = values.map { total > 0 ? mass[$0]! / total : 0 }  // keys of `mass`
        let top = (probabilities.max() ?? 0) * 1.05
        var frame = Frame(xRange: lower...upper, yRange: 0...(top > 0 ? top : 1))
        var document = frame.begin(
            title: "\(series.label): posterior probabilities", xLabel: series.label, yLabel: "probability")
        for (value, probability) in zip(values, probabilities) {
            let x0 = frame.x(value - 0.4)
            let y = frame.y(probability)
            document.rect(
                x: x0, y: y, width: frame.x(value + 0.4) - x0, height: frame.y(0) - y,
                [
                    ("class", "bar"), ("data-value", value.description), ("data-probability", probability.description),
                    ("fill", Frame.color(0)), ("fill-opacity", "0.6"),
                ])
        }
        return frame.end(&document)
    }

    /// Each chain's draws against their index, one line per chain (NaN draws break nothing: they are skipped).
    public static func trace(_ series: PlotSeries) -> String {
        let finite = series.chains.flatMap { $0 }.filter(\.isFinite)
        var lower = finite.min() ?? 0
        var upper = finite.max() ?? 1
        if lower == upper { (lower, upper) = (lower - 0.5, upper + 0.5) }
        let longest = max(series.chains.map(\.count).max() ?? 1, 2)
        var frame = Frame(xRange: 0...Double(longest - 1), yRange: lower...upper)
        var document = frame.begin(title: "\(series.label): trace", xLabel: "draw", yLabel: series.label)
        for (chain, values) in series.chains.enumerated() {
            let points = values.enumerated().filter { $0.element.isFinite }.map {
                (frame.x(Double($0.offset)), frame.y($0.element))
            }
            document.polyline(
                points,
                [
                    ("class", "chain"), ("data-chain", String(chain)), ("stroke", Frame.color(chain)),
                    ("stroke-width", "0.8"), ("stroke-opacity", "0.8"),
                ])
        }
        frame.legend(&document, chains: series.chains.count)
        return frame.end(&document)
    }

    /// Each chain's autocorrelation at lags 0…`maxLag` (fewer for short chains), one line per chain.
    ///
    /// Chains holding NaN draws are left out.
    public static func autocorrelation(_ series: PlotSeries, maxLag: Int = 50) -> String {
        precondition(maxLag >= 1, "Need at least lag 1")
        let lags = max(1, min(maxLag, (series.chains.map(\.count).max() ?? 2) - 1))
        var frame = Frame(xRange: 0...Double(lags), yRange: -1...1)
        var document = frame.begin(title: "\(series.label): autocorrelation", xLabel: "lag", yLabel: "autocorrelation")
        document.line(x1: frame.x(0), y1: frame.y(0), x2: frame.x(Double(lags)), y2: frame.y(0), [("stroke", "#888")])
        for (chain, values) in series.chains.enumerated() where !values.isEmpty && !values.contains(where: \.isNaN) {
            let rho = ConvergenceDiagnostics.autocorrelation(values, maxLag: lags)
            document.polyline(
                rho.enumerated().map { (frame.x(Double($0.offset)), frame.y($0.element)) },
                [
                    ("class", "chain"), ("data-chain", String(chain)), ("stroke", Frame.color(chain)),
                    ("stroke-width", "1.2"),
                ])
        }
        frame.legend(&document, chains: series.chains.count)
        return frame.end(&document)
    }

    /// Writes the plots of every series into `directory`, each atomically, and an `index.html` that shows
    /// them all.
    ///
    /// Per series: `<label>.histogram.svg` (a bar chart of probabilities for a discrete series) and, for
    /// unweighted draws (MCMC, prior sampling), `<label>.trace.svg` and `<label>.autocorrelation.svg`. Weighted
    /// draws get no trace or autocorrelation plot: their order and autocorrelation say nothing about the
    /// posterior. The label's characters other than letters, digits, `.`, `-`, `_` become `_`.
    /// - Parameters:
    ///   - series: the series.
    ///   - isWeighted: whether the draws carry importance weights.
    ///   - overlays: densities to draw over histograms, by series label.
    ///   - directory: an existing directory.
    /// - Returns: the paths written, `index.html` last.
    /// - Throws: `StorageError` for a file that cannot be written.
    public static func writeAll(
        _ series: [PlotSeries], isWeighted: Bool = false, overlays: [String: @Sendable (Double) -> Double] = [:],
        to directory: String
    ) throws(StorageError) -> [String] {
        var paths: [String] = []
        var used = Set<String>()
        var index = """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>Lumis plots</title></head>
            <body>
            <h1>Lumis plots</h1>

            """
        if isWeighted {
            index += "<p>Importance-weighted draws: histograms only (trace and autocorrelation plots of weighted "
            index += "draws say nothing about the posterior).</p>\n"
        }
        for item in series {
            var stem = String(
                item.label.unicodeScalars.map {
                    $0.isASCII
                        && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0))
                        ? Character($0) : "_"
                })
            while used.contains(stem) { stem += "_" }
            used.insert(stem)
            var plots = [("histogram", histogram(item, overlay: overlays[item.label]))]
            if !isWeighted { plots += [("trace", trace(item)), ("autocorrelation", autocorrelation(item))] }
            index += "<h2>\(SVGDocument.escape(item.label))</h2>\n<p>"
            for (kind, text) in plots {
                let name = "\(stem).\(kind).svg"
                try writeAtomically(Array(text.utf8), toFile: "\(directory)/\(name)")
                paths.append("\(directory)/\(name)")
                index += "<a href=\"\(SVGDocument.escape(name))\"><img src=\"\(SVGDocument.escape(name))\" "
                index += "width=\"320\" alt=\"\(SVGDocument.escape(item.label)) \(kind)\"></a>\n"
            }
            index += "</p>\n"
        }
        index += "</body></html>\n"
        try writeAtomically(Array(index.utf8), toFile: "\(directory)/index.html")
        paths.append("\(directory)/index.html")
        return paths
    }
}

/// The axes of one plot: maps data to pixels and draws the frame, ticks and labels.
struct Frame {
    let xRange: ClosedRange<Double>
    let yRange: ClosedRange<Double>

    func x(_ value: Double) -> Double {
        Plots.plotLeft + (value - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * Plots.plotWidth
    }

    func y(_ value: Double) -> Double {
        Plots.plotTop + Plots.plotHeight
            - (value - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * Plots.plotHeight
    }

    mutating func begin(title: String, xLabel: String, yLabel: String) -> SVGDocument {
        var document = SVGDocument(width: Plots.width, height: Plots.height)
        document.text(title, x: Plots.width / 2, y: 20, [("text-anchor", "middle"), ("font-size", "14")])
        let bottom = Plots.plotTop + Plots.plotHeight
        document.rect(
            x: Plots.plotLeft, y: Plots.plotTop, width: Plots.plotWidth, height: Plots.plotHeight,
            [("class", "frame"), ("fill", "none"), ("stroke", "#444")])
        for tick in Self.ticks(xRange) {
            document.line(x1: x(tick), y1: bottom, x2: x(tick), y2: bottom + 5, [("stroke", "#444")])
            document.text(Self.label(tick), x: x(tick), y: bottom + 18, [("text-anchor", "middle")])
        }
        for tick in Self.ticks(yRange) {
            document.line(x1: Plots.plotLeft - 5, y1: y(tick), x2: Plots.plotLeft, y2: y(tick), [("stroke", "#444")])
            document.text(Self.label(tick), x: Plots.plotLeft - 8, y: y(tick) + 4, [("text-anchor", "end")])
        }
        document.text(xLabel, x: Plots.plotLeft + Plots.plotWidth / 2, y: Plots.height - 8, [("text-anchor", "middle")])
        document.text(
            yLabel, x: 16, y: Plots.plotTop + Plots.plotHeight / 2,
            [
                ("text-anchor", "middle"),
                ("transform", "rotate(-90 16 \(SVGDocument.number(Plots.plotTop + Plots.plotHeight / 2)))"),
            ])
        document.beginGroup([
            ("class", "plot"), ("data-x-min", xRange.lowerBound.description),
            ("data-x-max", xRange.upperBound.description), ("data-y-min", yRange.lowerBound.description),
            ("data-y-max", yRange.upperBound.description),
        ])
        return document
    }

    func legend(_ document: inout SVGDocument, chains: Int) {
        guard chains > 1 else { return }
        for chain in 0..<min(chains, 10) {
            let top = Plots.plotTop + 8 + Double(chain) * 14
            let left = Plots.plotLeft + Plots.plotWidth - 70
            document.line(
                x1: left, y1: top, x2: left + 16, y2: top, [("stroke", Self.color(chain)), ("stroke-width", "2")])
            document.text("chain \(chain)", x: left + 20, y: top + 4)
        }
    }

    func end(_ document: inout SVGDocument) -> String {
        document.endGroup()
        return document.text
    }

    static func color(_ chain: Int) -> String {
        [
            "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
            "#17becf",
        ][chain % 10]
    }

    /// About five round tick values (1, 2 or 5 times a power of ten apart) inside `range`.
    static func ticks(_ range: ClosedRange<Double>) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return [] }
        let raw = span / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var ticks: [Double] = []
        var tick = ceil(range.lowerBound / step) * step
        while tick <= range.upperBound + step * 1e-9 && ticks.count < 20 {
            ticks.append(abs(tick) < step * 1e-9 ? 0 : tick)
            tick += step
        }
        return ticks
    }

    static func label(_ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 32)
        _ = withVaList([value]) { arguments in
            buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, "%.4g", arguments) }
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
