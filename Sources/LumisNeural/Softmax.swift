import RealModule

/// The softmax of each row of `x`: `exp(x_j − max) / Σ_k exp(x_k − max)`, never overflowing.
public func softmax(_ x: Matrix) -> Matrix {
    var y = logSoftmax(x)
    for index in y.scalars.indices { y.scalars[index] = Double.exp(y.scalars[index]) }
    return y
}

/// The log-softmax of each row of `x`: `x_j − max − log Σ_k exp(x_k − max)`.
///
/// A row containing `+∞` or NaN gives NaN (visible, not hidden); a row of all `−∞` gives NaN as well, since it
/// defines no distribution.
public func logSoftmax(_ x: Matrix) -> Matrix {
    var y = x
    let columns = x.columns
    y.scalars.withUnsafeMutableBufferPointer { buffer in
        for row in 0..<x.rows {
            let base = row * columns
            var maximum = -Double.infinity
            for j in 0..<columns { maximum = Swift.max(maximum, buffer[base + j]) }
            var sum = 0.0
            for j in 0..<columns { sum += Double.exp(buffer[base + j] - maximum) }
            // (x − max) is exact for nearby values; subtracting max + log Σ in one go would lose digits to
            // cancellation when |max| is large.
            let logSum = Double.log(sum)
            for j in 0..<columns { buffer[base + j] = (buffer[base + j] - maximum) - logSum }
        }
    }
    return y
}

/// `∂L/∂x` for `y = softmax(x)` from `∂L/∂y`: `y_j · (dy_j − Σ_k dy_k y_k)` per row.
///
/// - Precondition: `y` and `dy` have the same shape.
public func softmaxBackward(output y: Matrix, outputGradient dy: Matrix) -> Matrix {
    precondition(y.rows == dy.rows && y.columns == dy.columns, "softmaxBackward: shapes differ")
    var dx = dy
    let columns = y.columns
    for row in 0..<y.rows {
        let base = row * columns
        var inner = 0.0
        for j in 0..<columns { inner += dy.scalars[base + j] * y.scalars[base + j] }
        for j in 0..<columns { dx.scalars[base + j] = y.scalars[base + j] * (dy.scalars[base + j] - inner) }
    }
    return dx
}

/// `∂L/∂x` for `y = logSoftmax(x)` from `∂L/∂y`: `dy_j − softmax(x)_j · Σ_k dy_k` per row.
///
/// - Precondition: `y` and `dy` have the same shape.
public func logSoftmaxBackward(output y: Matrix, outputGradient dy: Matrix) -> Matrix {
    precondition(y.rows == dy.rows && y.columns == dy.columns, "logSoftmaxBackward: shapes differ")
    var dx = dy
    let columns = y.columns
    for row in 0..<y.rows {
        let base = row * columns
        var total = 0.0
        for j in 0..<columns { total += dy.scalars[base + j] }
        for j in 0..<columns { dx.scalars[base + j] -= Double.exp(y.scalars[base + j]) * total }
    }
    return dx
}
