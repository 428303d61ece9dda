import LumisNeural
import Testing

/// Checks one parameter's analytic gradient against a central difference of `loss` (h = 1e-6), to 1e-4 relative
/// (of the larger magnitude, at least 1e-4): the whole-network tolerance, looser than a single layer's because
/// the loss chains many layers and a mixture.
func expectCentralDifference(
    of loss: () -> Double, parameter index: Int, in store: ParameterStore, analytic: Double,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let original = store.values[index]
    let h = 1e-6
    store.setValue(original + h, at: index)
    let plus = loss()
    store.setValue(original - h, at: index)
    let minus = loss()
    store.setValue(original, at: index)
    let numeric = (plus - minus) / (2 * h)
    let scale = max(abs(numeric), abs(analytic), 1e-4)
    #expect(
        abs(numeric - analytic) / scale < 1e-4, "parameter \(index): \(numeric) vs \(analytic)",
        sourceLocation: sourceLocation)
}
