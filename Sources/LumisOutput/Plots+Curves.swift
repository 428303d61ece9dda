public import LumisStorage

/// One labelled line of a line chart, for example a training loss against traces.
public struct PlotCurve: Sendable {
    /// The curve's label, shown in the legend.
    public var label: String
    /// The points in drawing order; points with a non-finite coordinate are left out.
    public var points: [(x: Double, y: Double)]

    /// Creates a curve.
    public init(label: String, points: [(x: Double, y: Double)]) {
        self.label = label
        self.points = points
    }
}

extension Plots {
    /// A line chart of `curves` on shared axes, in the style of the other plots.
    ///
    /// Each curve is a `<polyline class="curve" data-label="…">` in its own colour (``PlotCurve`` order), with a
    /// `<circle class="point">` per point when a curve has at most 200 points; the legend names the curves. The
    /// axes span the finite points (the y range padded by 5%), recorded in the frame group's `data-*`
    /// attributes like every plot's.
    /// - Returns: the SVG text.
    public static func curves(_ curves: [PlotCurve], title: String, xLabel: String, yLabel: String) -> String {
        let finite = curves.map { $0.points.filter { $0.x.isFinite && $0.y.isFinite } }
        let all = finite.flatMap { $0 }
        var (left, right) = (all.map(\.x).min() ?? 0, all.map(\.x).max() ?? 1)
        if left == right { (left, right) = (left - 0.5, right + 0.5) }
        var (bottom, top) = (all.map(\.y).min() ?? 0, all.map(\.y).max() ?? 1)
        let pad = (top - bottom) * 0.05
        (bottom, top) = bottom == top ? (bottom - 0.5, top + 0.5) : (bottom - pad, top + pad)
        var frame = Frame(xRange: left...right, yRange: bottom...top)
        var document = frame.begin(title: title, xLabel: xLabel, yLabel: yLabel)
        for (index, points) in finite.enumerated() {
            let color = Frame.color(index)
            document.polyline(
                points.map { (frame.x($0.x), frame.y($0.y)) },
                [
                    ("class", "curve"), ("data-label", curves[index].label), ("stroke", color),
                    ("stroke-width", "1.5"),
                ])
            guard points.count <= 200 else { continue }
            for point in points {
                document.circle(
                    x: frame.x(point.x), y: frame.y(point.y), radius: 2.5,
                    [
                        ("class", "point"), ("data-label", curves[index].label), ("data-x", point.x.description),
                        ("data-y", point.y.description), ("fill", color),
                    ])
            }
        }
        frame.legend(&document, labels: curves.map(\.label))
        return frame.end(&document)
    }

    /// Writes a network's loss curves into `directory` as `loss.svg` (training and validation loss against
    /// traces trained on), atomically, and an `index.html` showing it.
    ///
    /// - Parameters:
    ///   - curves: the curves, for example training and validation loss.
    ///   - title: the chart's title.
    ///   - directory: an existing directory.
    /// - Returns: the paths written, `index.html` last.
    /// - Throws: `StorageError` for a file that cannot be written.
    public static func writeLossCurves(
        _ curves: [PlotCurve], title: String, to directory: String
    ) throws(StorageError) -> [String] {
        let svg = Plots.curves(curves, title: title, xLabel: "traces trained on", yLabel: "loss (nats per trace)")
        try writeAtomically(Array(svg.utf8), toFile: "\(directory)/loss.svg")
        let index = """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>Lumis loss curves</title></head>
            <body>
            <h1>\(SVGDocument.escape(title))</h1>
            <p><a href="loss.svg"><img src="loss.svg" width="640" alt="loss curves"></a></p>
            </body></html>

            """
        try writeAtomically(Array(index.utf8), toFile: "\(directory)/index.html")
        return ["\(directory)/loss.svg", "\(directory)/index.html"]
    }
}
