import RealModule

/// An elementwise nonlinearity with its derivative.
public enum Activation: Sendable, Hashable, CaseIterable {
    /// `max(x, 0)`; its derivative at 0 is taken as 0, as in PyTorch.
    case relu
    /// The hyperbolic tangent.
    case tanh
    /// The logistic function `1 / (1 + e⁻ˣ)`, evaluated without overflow for large `|x|`.
    case sigmoid
    /// `x` unchanged.
    case identity

    /// The activation applied to every element of `x`.
    public func forward(_ x: Matrix) -> Matrix {
        var y = x
        apply(to: &y)
        return y
    }

    /// Applies the activation to every element of `x` in place (no allocation).
    public func apply(to x: inout Matrix) {
        switch self {
        case .identity:
            return
        case .relu:
            x.scalars.withUnsafeMutableBufferPointer { buffer in
                // NaN compares false and passes through: a broken input stays visible.
                for index in buffer.indices where buffer[index] < 0 { buffer[index] = 0 }
            }
        case .tanh:
            x.scalars.withUnsafeMutableBufferPointer { buffer in
                for index in buffer.indices { buffer[index] = Double.tanh(buffer[index]) }
            }
        case .sigmoid:
            x.scalars.withUnsafeMutableBufferPointer { buffer in
                for index in buffer.indices { buffer[index] = Activation.logistic(buffer[index]) }
            }
        }
    }

    /// `∂L/∂x` from `∂L/∂y`, using the saved input `x` (ReLU) or output `y` (tanh, sigmoid).
    ///
    /// - Precondition: `x`, `y` and `dy` have the same shape.
    public func backward(input x: Matrix, output y: Matrix, outputGradient dy: Matrix) -> Matrix {
        var dx = dy
        backward(input: x, output: y, gradient: &dx)
        return dx
    }

    /// Turns `gradient` from `∂L/∂y` into `∂L/∂x` in place (no allocation).
    ///
    /// - Precondition: `x`, `y` and `gradient` have the same shape.
    public func backward(input x: Matrix, output y: Matrix, gradient: inout Matrix) {
        precondition(
            x.rows == gradient.rows && x.columns == gradient.columns && y.rows == gradient.rows
                && y.columns == gradient.columns,
            "Activation backward: input, output and gradient shapes differ")
        switch self {
        case .identity:
            return
        case .relu:
            x.scalars.withUnsafeBufferPointer { input in
                gradient.scalars.withUnsafeMutableBufferPointer { buffer in
                    for index in buffer.indices where !(input[index] > 0) { buffer[index] = 0 }
                }
            }
        case .tanh:
            y.scalars.withUnsafeBufferPointer { output in
                gradient.scalars.withUnsafeMutableBufferPointer { buffer in
                    for index in buffer.indices { buffer[index] *= 1 - output[index] * output[index] }
                }
            }
        case .sigmoid:
            y.scalars.withUnsafeBufferPointer { output in
                gradient.scalars.withUnsafeMutableBufferPointer { buffer in
                    for index in buffer.indices { buffer[index] *= output[index] * (1 - output[index]) }
                }
            }
        }
    }

    /// `1 / (1 + e⁻ˣ)` computed from `e^(-|x|)` so that neither branch overflows.
    @inline(__always)
    static func logistic(_ x: Double) -> Double {
        if x >= 0 {
            return 1 / (1 + Double.exp(-x))
        }
        let e = Double.exp(x)
        return e / (1 + e)
    }
}
