import RealModule

/// `log(exp(a) + exp(b))` without overflow, exact at −∞: the one log-space addition every engine uses.
public func logAddExp(_ a: Double, _ b: Double) -> Double {
    if a == -.infinity { return b }
    if b == -.infinity { return a }
    return max(a, b) + Double.log(onePlus: Double.exp(-abs(a - b)))
}
