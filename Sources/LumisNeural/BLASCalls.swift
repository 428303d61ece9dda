import COpenBLAS

/// The one place LumisNeural calls cblas: size and bound checks, then narrowing to `blasint` (`Int32`).
enum BLAS {
    /// `C ← alpha · op(A) · op(B) + beta · C` on row-major operands, where `op(X)` is `X` or `Xᵀ`.
    ///
    /// `op(A)` is `m × k`, `op(B)` is `k × n`, `C` is `m × n`. Each operand is given as a buffer and the element
    /// offset at which the matrix starts; the whole extent implied by the sizes and leading dimensions must lie
    /// inside the buffer. Wraps `cblas_dgemm`.
    /// - Precondition: sizes non-negative, leading dimensions at least the stored row length, extents in bounds,
    ///   and every size fits `Int32`.
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafeBufferPointer<Double>, aOffset: Int = 0, lda: Int,
        b: UnsafeBufferPointer<Double>, bOffset: Int = 0, ldb: Int,
        beta: Double, c: UnsafeMutableBufferPointer<Double>, cOffset: Int = 0, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "gemm sizes \(m), \(n), \(k) must be non-negative")
        if m == 0 || n == 0 { return }
        precondition(ldc >= max(1, n), "gemm ldc \(ldc) < n \(n)")
        precondition(cOffset >= 0 && cOffset + (m - 1) * ldc + n <= c.count, "gemm C extent out of bounds")
        if k == 0 {
            // BLAS would only scale C; doing it here spares checking empty A and B buffers.
            for row in 0..<m {
                let base = cOffset + row * ldc
                for column in 0..<n { c[base + column] = beta == 0 ? 0 : beta * c[base + column] }
            }
            return
        }
        let (aRows, aColumns) = transposeA ? (k, m) : (m, k)
        let (bRows, bColumns) = transposeB ? (n, k) : (k, n)
        precondition(lda >= max(1, aColumns), "gemm lda \(lda) < \(aColumns)")
        precondition(ldb >= max(1, bColumns), "gemm ldb \(ldb) < \(bColumns)")
        precondition(aOffset >= 0 && aOffset + (aRows - 1) * lda + aColumns <= a.count, "gemm A extent out of bounds")
        precondition(bOffset >= 0 && bOffset + (bRows - 1) * ldb + bColumns <= b.count, "gemm B extent out of bounds")
        // Non-empty extents were just checked, so the buffers are non-empty and their base addresses non-nil.
        let aBase = a.baseAddress! + aOffset
        let bBase = b.baseAddress! + bOffset
        let cBase = c.baseAddress! + cOffset
        cblas_dgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, aBase, Int32(lda), bBase, Int32(ldb), beta, cBase, Int32(ldc))
    }
}

extension BLAS {
    /// `C ← op(A) · op(B) + beta · C` in `precision`, each operand stored as float64 or float32.
    ///
    /// float64 calls `cblas_dgemm` and needs float64 operands. float32 runs `cblas_sgemm`: a float32 operand (a
    /// float32 store's weights) is passed as it is, a float64 one (an activation) is first rounded into a packed
    /// float32 copy; a float32 `C` (a float32 store's gradients) is accumulated into directly, a float64 one gets
    /// the float32 product added. Wraps `cblas_sgemm`.
    /// - Precondition: as for the float64 `gemm`; in float64 every operand is float64.
    static func gemm(
        precision: Precision, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: ScalarBuffer, aOffset: Int = 0, lda: Int, b: ScalarBuffer, bOffset: Int = 0, ldb: Int,
        beta: Double, c: MutableScalarBuffer, cOffset: Int = 0, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "gemm sizes \(m), \(n), \(k) must be non-negative")
        if m == 0 || n == 0 { return }
        guard precision == .float32 else {
            precondition(!a.isFloat32 && !b.isFloat32 && !c.isFloat32, "float64 gemm on float32 operands")
            gemm(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1, a: a.float64,
                aOffset: aOffset, lda: lda, b: b.float64, bOffset: bOffset, ldb: ldb, beta: beta, c: c.float64,
                cOffset: cOffset, ldc: ldc)
            return
        }
        let (aRows, aColumns) = transposeA ? (k, m) : (m, k)
        let (bRows, bColumns) = transposeB ? (n, k) : (k, n)
        precondition(ldc >= n && cOffset >= 0 && cOffset + (m - 1) * ldc + n <= c.count, "gemm C extent out of bounds")
        if k == 0 {
            for row in 0..<m {
                for column in 0..<n {
                    c[cOffset + row * ldc + column] = beta == 0 ? 0 : beta * c[cOffset + row * ldc + column]
                }
            }
            return
        }
        precondition(lda >= aColumns && ldb >= bColumns, "gemm leading dimensions too small")
        precondition(aOffset >= 0 && aOffset + (aRows - 1) * lda + aColumns <= a.count, "gemm A extent out of bounds")
        precondition(bOffset >= 0 && bOffset + (bRows - 1) * ldb + bColumns <= b.count, "gemm B extent out of bounds")
        // Float64 operands are packed into float32 copies (leading dimension = their row length).
        let a32 = a.isFloat32 ? [] : packed(a.float64, offset: aOffset, rows: aRows, columns: aColumns, ld: lda)
        let b32 = b.isFloat32 ? [] : packed(b.float64, offset: bOffset, rows: bRows, columns: bColumns, ld: ldb)
        var product = c.isFloat32 ? [] : [Float](repeating: 0, count: m * n)
        a32.withUnsafeBufferPointer { a32 in
            b32.withUnsafeBufferPointer { b32 in
                product.withUnsafeMutableBufferPointer { product in
                    // Extents were checked above, so every base address used is non-nil.
                    let (aBase, lda32) =
                        a.isFloat32 ? (a.float32.baseAddress! + aOffset, lda) : (a32.baseAddress!, aColumns)
                    let (bBase, ldb32) =
                        b.isFloat32 ? (b.float32.baseAddress! + bOffset, ldb) : (b32.baseAddress!, bColumns)
                    let (cBase, ldc32, beta32) =
                        c.isFloat32
                        ? (c.float32.baseAddress! + cOffset, ldc, Float(beta)) : (product.baseAddress!, n, 0)
                    cblas_sgemm(
                        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), 1, aBase, Int32(lda32), bBase, Int32(ldb32), beta32, cBase,
                        Int32(ldc32))
                }
            }
        }
        guard !c.isFloat32 else { return }
        for row in 0..<m {
            let base = cOffset + row * ldc
            for column in 0..<n {
                let previous = beta == 0 ? 0 : beta * c.float64[base + column]
                c.float64[base + column] = previous + Double(product[row * n + column])
            }
        }
    }

    /// The `rows × columns` block at `offset` (row stride `ld`) of `source`, rounded to float32 and packed.
    private static func packed(
        _ source: UnsafeBufferPointer<Double>, offset: Int, rows: Int, columns: Int, ld: Int
    ) -> [Float] {
        var result = [Float](repeating: 0, count: rows * columns)
        result.withUnsafeMutableBufferPointer { result in
            for row in 0..<rows {
                for column in 0..<columns { result[row * columns + column] = Float(source[offset + row * ld + column]) }
            }
        }
        return result
    }
}

/// How many threads OpenBLAS uses inside one call (the network step's GEMMs).
///
/// Splitting a GEMM among threads partitions its output, not its inner sums, so each element is summed in the
/// same order whatever the count: results do not depend on it (checked by `TrainerThreadsTests`).
public enum BLASThreading {
    /// The current count.
    ///
    /// Setting it wraps `openblas_set_num_threads`; reading wraps `openblas_get_num_threads`.
    /// Set it from one thread before the calls it governs (OpenBLAS keeps one process-wide pool).
    /// - Precondition: the new value is positive.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set {
            precondition(newValue > 0, "BLAS thread count must be positive")
            openblas_set_num_threads(Int32(newValue))
        }
    }
}
