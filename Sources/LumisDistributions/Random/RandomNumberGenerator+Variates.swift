import RealModule

extension RandomNumberGenerator {
    /// A uniform `Double` in [0, 1) built from the top 53 bits of one `next()`: every multiple of 2⁻⁵³ equally
    /// likely.
    public mutating func nextUniform() -> Double {
        Double(next() &>> 11) * 0x1.0p-53
    }

    /// A uniform `Double` in the open interval (0, 1): `(k + 0.5) · 2⁻⁵²` for 52 random bits `k`.
    ///
    /// Use it where the logarithm or reciprocal of the variate must be finite.
    public mutating func nextOpenUniform() -> Double {
        (Double(next() &>> 12) + 0.5) * 0x1.0p-52
    }

    /// A standard normal variate by Marsaglia's polar method.
    ///
    /// The second variate of each accepted pair is discarded rather than cached, so a draw is a pure function
    /// of the generator state (reproducible per stream, whatever else shares the generator).
    public mutating func nextStandardNormal() -> Double {
        while true {
            let u = 2 * nextUniform() - 1
            let v = 2 * nextUniform() - 1
            let s = u * u + v * v
            if s < 1 && s > 0 {
                return u * (-2 * Double.log(s) / s).squareRoot()
            }
        }
    }
}
