/* GEMM rate of this machine's OpenBLAS for given shapes, in float64 and float32: the physical limit that
 * benchmarks/ic.sh sets the training step's achieved rate beside. Threads: OPENBLAS_NUM_THREADS.
 * Usage: gemm M N K [TRANSPOSE_A TRANSPOSE_B]  (row-major C[MxN] += op(A) op(B), op(A) MxK, op(B) KxN)
 * Prints: "M N K dgemm GFLOP/s sgemm GFLOP/s". */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: gemm M N K [TA TB]\n");
        return 2;
    }
    int m = atoi(argv[1]), n = atoi(argv[2]), k = atoi(argv[3]);
    int ta = argc > 4 && atoi(argv[4]), tb = argc > 5 && atoi(argv[5]);
    if (m <= 0 || n <= 0 || k <= 0) {
        fprintf(stderr, "gemm: sizes must be positive\n");
        return 2;
    }
    size_t sa = (size_t)m * k, sb = (size_t)k * n, sc = (size_t)m * n;
    double *da = malloc(sa * sizeof *da), *db = malloc(sb * sizeof *db), *dc = malloc(sc * sizeof *dc);
    float *fa = malloc(sa * sizeof *fa), *fb = malloc(sb * sizeof *fb), *fc = malloc(sc * sizeof *fc);
    if (!da || !db || !dc || !fa || !fb || !fc) {
        fprintf(stderr, "gemm: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < sa; i++) fa[i] = (float)(da[i] = (double)(i % 17) / 17 - 0.5);
    for (size_t i = 0; i < sb; i++) fb[i] = (float)(db[i] = (double)(i % 13) / 13 - 0.5);
    for (size_t i = 0; i < sc; i++) fc[i] = (float)(dc[i] = 0);
    int lda = ta ? m : k, ldb = tb ? k : n;
    enum CBLAS_TRANSPOSE opa = ta ? CblasTrans : CblasNoTrans, opb = tb ? CblasTrans : CblasNoTrans;
    double flops = 2.0 * m * n * k, rate[2];
    for (int precision = 0; precision < 2; precision++) {
        int reps = 1;
        double elapsed = 0;
        /* Warm up, then double the repetitions until a measurement takes at least 0.3 s. */
        for (;;) {
            double start = now();
            for (int r = 0; r < reps; r++) {
                if (precision == 0)
                    cblas_dgemm(CblasRowMajor, opa, opb, m, n, k, 1, da, lda, db, ldb, 1, dc, n);
                else
                    cblas_sgemm(CblasRowMajor, opa, opb, m, n, k, 1, fa, lda, fb, ldb, 1, fc, n);
            }
            elapsed = now() - start;
            if (elapsed >= 0.3) break;
            reps *= 2;
        }
        rate[precision] = flops * reps / elapsed / 1e9;
    }
    printf("%d %d %d %.1f %.1f\n", m, n, k, rate[0], rate[1]);
    free(da), free(db), free(dc), free(fa), free(fb), free(fc);
    return 0;
}
