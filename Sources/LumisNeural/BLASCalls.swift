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
    /// `gemm` in `precision`: float64 calls ``gemm(transposeA:transposeB:m:n:k:alpha:a:aOffset:lda:b:bOffset:ldb:beta:c:cOffset:ldc:)``;
    /// float32 rounds `op(A)` and `op(B)` to float32 (taking `B` from `b32`, laid out like `b`, when given: a
    /// weight matrix's float32 copy), runs `cblas_sgemm` into a float32 product and adds it into the float64 `C`.
    ///
    /// - Precondition: as for `gemm`; `b32`, when given, has the extent of `b`.
    static func gemm(
        precision: Precision, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafeBufferPointer<Double>, aOffset: Int = 0, lda: Int,
        b: UnsafeBufferPointer<Double>, b32: UnsafeBufferPointer<Float>? = nil, bOffset: Int = 0, ldb: Int,
        beta: Double, c: UnsafeMutableBufferPointer<Double>, cOffset: Int = 0, ldc: Int
    ) {
        guard precision == .float32, m > 0, n > 0, k > 0 else {
            gemm(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1, a: a, aOffset: aOffset,
                lda: lda, b: b, bOffset: bOffset, ldb: ldb, beta: beta, c: c, cOffset: cOffset, ldc: ldc)
            return
        }
        let (aRows, aColumns) = transposeA ? (k, m) : (m, k)
        let (bRows, bColumns) = transposeB ? (n, k) : (k, n)
        precondition(lda >= aColumns && ldb >= bColumns && ldc >= n, "gemm leading dimensions too small")
        precondition(aOffset >= 0 && aOffset + (aRows - 1) * lda + aColumns <= a.count, "gemm A extent out of bounds")
        precondition(bOffset >= 0 && bOffset + (bRows - 1) * ldb + bColumns <= b.count, "gemm B extent out of bounds")
        precondition(cOffset >= 0 && cOffset + (m - 1) * ldc + n <= c.count, "gemm C extent out of bounds")
        precondition(b32.map { $0.count == b.count } ?? true, "float32 copy of B has another size")
        var a32 = [Float](repeating: 0, count: aRows * aColumns)
        for row in 0..<aRows {
            for column in 0..<aColumns { a32[row * aColumns + column] = Float(a[aOffset + row * lda + column]) }
        }
        var product = [Float](repeating: 0, count: m * n)
        func run(_ bBase: UnsafePointer<Float>, _ ldb32: Int) {
            a32.withUnsafeBufferPointer { a32 in
                product.withUnsafeMutableBufferPointer { p in
                    cblas_sgemm(
                        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), 1, a32.baseAddress!, Int32(aColumns), bBase, Int32(ldb32), 0,
                        p.baseAddress!, Int32(n))
                }
            }
        }
        if let b32 {
            run(b32.baseAddress! + bOffset, ldb)
        } else {
            var converted = [Float](repeating: 0, count: bRows * bColumns)
            for row in 0..<bRows {
                for column in 0..<bColumns {
                    converted[row * bColumns + column] = Float(b[bOffset + row * ldb + column])
                }
            }
            converted.withUnsafeBufferPointer { run($0.baseAddress!, bColumns) }
        }
        for row in 0..<m {
            let base = cOffset + row * ldc
            for column in 0..<n {
                let previous = beta == 0 ? 0 : beta * c[base + column]
                c[base + column] = previous + Double(product[row * n + column])
            }
        }
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
