import LumisDistributions
import LumisNeural
import Testing

/// Central finite differences (h = 1e-6) compared with analytic gradients at relative tolerance 1e-6 (STYLE §3.8).
///
/// The loss is `L = Σ c ⊙ y` with fixed random `c`. A central difference carries a round-off error of about
/// `ε · Σ|c ⊙ y| / h` (each evaluation of `L` is exact to `ε · Σ|terms|`), so the comparison allows that absolute
/// noise on top of the relative tolerance; it is about 1e-10 here, far below the gradients checked.
enum GradientCheck {
    static let step = 1e-6
    static let relativeTolerance = 1e-6

    /// A matrix of uniform values in [-1, 1) from `seed`; with `awayFromZero`, magnitudes are at least 0.05 (no
    /// sample sits near a ReLU kink where the derivative does not exist).
    static func randomMatrix(_ rows: Int, _ columns: Int, seed: UInt64, awayFromZero: Bool = false) -> Matrix {
        var generator = Xoshiro256StarStar(seed: seed)
        let values = (0..<(rows * columns)).map { _ -> Double in
            let u = 2 * generator.nextUniform() - 1
            return awayFromZero ? (u < 0 ? u - 0.05 : u + 0.05) : u
        }
        return Matrix(rows: rows, columns: columns, scalars: values)
    }

    /// `Σ c ⊙ y` and its round-off scale `Σ|c ⊙ y|`.
    static func weightedSum(_ y: Matrix, _ c: Matrix) -> (value: Double, scale: Double) {
        precondition(y.count == c.count)
        var value = 0.0
        var scale = 0.0
        for i in 0..<y.count {
            value += c.scalars[i] * y.scalars[i]
            scale += abs(c.scalars[i] * y.scalars[i])
        }
        return (value, scale)
    }

    /// The central-difference gradient of `loss` with respect to each element of `x`, and the largest loss scale.
    static func numericGradient(
        of x: inout Matrix, loss: (Matrix) -> (value: Double, scale: Double)
    ) -> (gradient: [Double], scale: Double) {
        var gradient = [Double](repeating: 0, count: x.count)
        var scale = 0.0
        for i in 0..<x.count {
            let saved = x.scalars[i]
            x.scalars[i] = saved + step
            let plus = loss(x)
            x.scalars[i] = saved - step
            let minus = loss(x)
            x.scalars[i] = saved
            gradient[i] = (plus.value - minus.value) / (2 * step)
            scale = max(scale, plus.scale, minus.scale)
        }
        return (gradient, scale)
    }

    /// The central-difference gradient with respect to every parameter of `store` (indices `range`, or all).
    static func numericParameterGradient(
        store: ParameterStore, indices: Range<Int>? = nil, loss: () -> (value: Double, scale: Double)
    ) -> (gradient: [Double], scale: Double) {
        let indices = indices ?? 0..<store.count
        var gradient = [Double](repeating: 0, count: indices.count)
        var scale = 0.0
        for (k, i) in indices.enumerated() {
            let saved = store.values[i]
            store.setValue(saved + step, at: i)
            let plus = loss()
            store.setValue(saved - step, at: i)
            let minus = loss()
            store.setValue(saved, at: i)
            gradient[k] = (plus.value - minus.value) / (2 * step)
            scale = max(scale, plus.scale, minus.scale)
        }
        return (gradient, scale)
    }

    /// Expects `analytic ≈ numeric` element by element: `|a − n| ≤ 1e-6 · max(|a|, |n|) + noise`, where `noise` is
    /// the round-off of the central difference, `8 ε · scale / h`.
    static func expectMatch(
        _ analytic: [Double], _ numeric: [Double], scale: Double, _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(analytic.count == numeric.count, "\(what): count", sourceLocation: sourceLocation)
        let noise = 8 * Double.ulpOfOne * max(scale, 1) / step
        var worst = 0.0
        var nonZero = 0
        for (a, n) in zip(analytic, numeric) {
            let error = abs(a - n)
            let bound = relativeTolerance * max(abs(a), abs(n)) + noise
            worst = max(worst, error / bound)
            if abs(n) > 100 * noise { nonZero += 1 }
        }
        #expect(worst <= 1, "\(what): worst error/bound ratio \(worst)", sourceLocation: sourceLocation)
        // A check of all-zero gradients would prove nothing.
        #expect(nonZero > 0, "\(what): every gradient is zero", sourceLocation: sourceLocation)
    }

    /// Checks a layer's input gradient and its parameters' gradients against central differences of the loss
    /// `Σ c ⊙ forward(x)`.
    ///
    /// `backward` must return the input gradient and accumulate the parameter gradients into `store`.
    static func expectLayerGradients(
        input: Matrix, outputWeights c: Matrix, store: ParameterStore, _ what: String,
        forward: (Matrix) -> Matrix, backward: (Matrix, Matrix) -> Matrix,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var x = input
        store.zeroGradients()
        let dx = backward(x, c)
        let numericInput = numericGradient(of: &x) { weightedSum(forward($0), c) }
        expectMatch(
            dx.scalars, numericInput.gradient, scale: numericInput.scale, "\(what) input",
            sourceLocation: sourceLocation)
        let numericParameters = numericParameterGradient(store: store) { weightedSum(forward(x), c) }
        expectMatch(
            store.gradients, numericParameters.gradient, scale: numericParameters.scale,
            "\(what) parameters", sourceLocation: sourceLocation)
    }
}
