// The SGEMM register tile, the one piece of Warden's GEMM written in C.
//
// Swift's SIMD types compile to the baseline x86-64 instruction set (SSE2, no
// FMA) unless the whole module is built for a newer CPU, which would make the
// binary crash on older ones. C lets one function carry
// `__attribute__((target("avx512f")))` and be picked at run time after a CPU
// check, so the same binary uses AVX-512 or AVX2 + FMA where they exist and
// the Swift tile elsewhere. Packing, blocking and threads stay in Swift
// (Sources/WardenONNX/Runtime/Compute/GEMM.swift).

#include "CWardenKernels.h"

int warden_sgemm_isa(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
    return 0;
}

#if defined(__x86_64__)

// DEFINE_TILE(NAME, TARGET, LANES, MR) defines NAME(...) for a tile of MR rows
// by 2 * LANES columns. Rows and the k-unroll are compile-time constants in
// NAME##_rows, so each call from the switch below is fully unrolled into
// registers: MR * 2 accumulators, 2 B vectors, A broadcast from memory, element (i, p) at
// a[p * ads + i * ars] (a packed panel, or a row-major matrix read in place). With
// fewer than 4 rows the k loop is split over U accumulator sets so enough FMAs
// are in flight (a 1-row tile is matrix-vector and bound by loads of B).
#define DEFINE_TILE(NAME, TARGET, LANES, MR)                                                        \
    typedef float NAME##_v __attribute__((vector_size(LANES * 4), aligned(4)));                     \
                                                                                                     \
    __attribute__((target(TARGET), always_inline)) static inline void NAME##_rows(                  \
        const long R, const long U, long kc, const float *a, const long ars, const long ads,       \
        const float *b, float *c, long ldc, long columns, const WardenTileEpilogue *e) {           \
        typedef NAME##_v V;                                                                          \
        const long NR = 2 * LANES;                                                                   \
        V acc[4][MR][2];                                                                             \
        _Pragma("clang loop unroll(full)") for (long u = 0; u < U; u++)                                                                 \
            _Pragma("clang loop unroll(full)") for (long i = 0; i < R; i++) acc[u][i][0] = acc[u][i][1] = (V){0};                       \
        long p = 0;                                                                                  \
        for (; p + U <= kc; p += U) {                                                                \
            _Pragma("clang loop unroll(full)") for (long u = 0; u < U; u++) {                                                           \
                V b0 = *(const V *)(b + (p + u) * NR);                                               \
                V b1 = *(const V *)(b + (p + u) * NR + LANES);                                       \
                _Pragma("clang loop unroll(full)") for (long i = 0; i < R; i++) {                                                       \
                    V ai = (V){0} + a[(p + u) * ads + i * ars];                                      \
                    acc[u][i][0] = __builtin_elementwise_fma(ai, b0, acc[u][i][0]);                  \
                    acc[u][i][1] = __builtin_elementwise_fma(ai, b1, acc[u][i][1]);                  \
                }                                                                                    \
            }                                                                                        \
        }                                                                                            \
        for (; p < kc; p++) {                                                                        \
            V b0 = *(const V *)(b + p * NR);                                                         \
            V b1 = *(const V *)(b + p * NR + LANES);                                                 \
            _Pragma("clang loop unroll(full)") for (long i = 0; i < R; i++) {                                                           \
                V ai = (V){0} + a[p * ads + i * ars];                                                \
                acc[0][i][0] = __builtin_elementwise_fma(ai, b0, acc[0][i][0]);                      \
                acc[0][i][1] = __builtin_elementwise_fma(ai, b1, acc[0][i][1]);                      \
            }                                                                                        \
        }                                                                                            \
        _Pragma("clang loop unroll(full)") for (long u = 1; u < U; u++)                                                                 \
            _Pragma("clang loop unroll(full)") for (long i = 0; i < R; i++) {                                                           \
                acc[0][i][0] += acc[u][i][0];                                                        \
                acc[0][i][1] += acc[u][i][1];                                                        \
            }                                                                                        \
        const V zero = (V){0};                                                                       \
        _Pragma("clang loop unroll(full)") for (long i = 0; i < R; i++) {                                                               \
            float *row = c + i * ldc;                                                                \
            _Pragma("clang loop unroll(full)") for (long half = 0; half < 2; half++) {                                                  \
                V r = acc[0][i][half];                                                               \
                if (e->alpha != 1.0f) r *= e->alpha;                                                 \
                long j0 = half * LANES;                                                              \
                if (columns >= j0 + LANES) {                                                         \
                    if (e->load) r += *(const V *)(row + j0);                                        \
                    if (e->last) {                                                                   \
                        if (e->row_bias) r += e->row_bias[i];                                        \
                        if (e->col_bias) r += *(const V *)(e->col_bias + j0);                        \
                        if (e->relu) r = __builtin_elementwise_max(r, zero);                         \
                    }                                                                                \
                    *(V *)(row + j0) = r;                                                            \
                } else {                                                                             \
                    for (long j = j0; j < columns; j++) {                                            \
                        float value = r[j - j0];                                                     \
                        if (e->load) value += row[j];                                                \
                        if (e->last) {                                                               \
                            if (e->row_bias) value += e->row_bias[i];                                \
                            if (e->col_bias) value += e->col_bias[j];                                \
                            if (e->relu && !(value > 0)) value = value != value ? value : 0;         \
                        }                                                                            \
                        row[j] = value;                                                              \
                    }                                                                                \
                }                                                                                    \
            }                                                                                        \
        }                                                                                            \
    }

DEFINE_TILE(avx512, "avx512f,fma", 16, 12)
DEFINE_TILE(avx2, "avx2,fma", 8, 6)

WardenTileShape warden_sgemm_avx512_tile(void) { return (WardenTileShape){12, 32}; }
WardenTileShape warden_sgemm_avx2_tile(void) { return (WardenTileShape){6, 16}; }

// The switch over row counts, for A read through (row stride ARS, depth stride ADS).
#define AVX512_SWITCH(ARS, ADS) \
    switch (rows) { \
    case 1: avx512_rows(1, 4, kc, a, ARS, ADS, b, c, ldc, columns, e); break; \
    case 2: avx512_rows(2, 2, kc, a, ARS, ADS, b, c, ldc, columns, e); break; \
    case 3: avx512_rows(3, 2, kc, a, ARS, ADS, b, c, ldc, columns, e); break; \
    case 4: avx512_rows(4, 1, kc, a, ARS, ADS, b, c, ldc, columns, e); break; \
    case 5: avx512_rows(5, 1, kc, a, ARS, ADS, b, c, ldc, columns, e); break; \
    case 6: avx512_rows(6, 1, kc, a, ARS, ADS, b, c, ldc, columns, e); break; \
    case 7: avx512_rows(7, 1, kc, a, ARS, ADS, b, c, ldc, columns, e); break; \
    case 8: avx512_rows(8, 1, kc, a, ARS, ADS, b, c, ldc, columns, e); break; \
    case 9: avx512_rows(9, 1, kc, a, ARS, ADS, b, c, ldc, columns, e); break; \
    case 10: avx512_rows(10, 1, kc, a, ARS, ADS, b, c, ldc, columns, e); break; \
    case 11: avx512_rows(11, 1, kc, a, ARS, ADS, b, c, ldc, columns, e); break; \
    default: avx512_rows(12, 1, kc, a, ARS, ADS, b, c, ldc, columns, e); break; \
    }

#define AVX2_SWITCH(ARS, ADS) \
    switch (rows) { \
    case 1: avx2_rows(1, 4, kc, a, ARS, ADS, b, c, ldc, columns, e); break; \
    case 2: avx2_rows(2, 2, kc, a, ARS, ADS, b, c, ldc, columns, e); break; \
    case 3: avx2_rows(3, 2, kc, a, ARS, ADS, b, c, ldc, columns, e); break; \
    case 4: avx2_rows(4, 1, kc, a, ARS, ADS, b, c, ldc, columns, e); break; \
    case 5: avx2_rows(5, 1, kc, a, ARS, ADS, b, c, ldc, columns, e); break; \
    default: avx2_rows(6, 1, kc, a, ARS, ADS, b, c, ldc, columns, e); break; \
    }

__attribute__((target("avx512f,fma"))) void warden_sgemm_avx512(
    long kc, const float *a, const float *b, float *c, long ldc, long rows, long columns,
    const WardenTileEpilogue *e) {
    AVX512_SWITCH(1, 12)
}

__attribute__((target("avx512f,fma"))) void warden_sgemm_avx512_rows_a(
    long kc, const float *a, long lda, const float *b, float *c, long ldc, long rows, long columns,
    const WardenTileEpilogue *e) {
    AVX512_SWITCH(lda, 1)
}

__attribute__((target("avx2,fma"))) void warden_sgemm_avx2(
    long kc, const float *a, const float *b, float *c, long ldc, long rows, long columns,
    const WardenTileEpilogue *e) {
    AVX2_SWITCH(1, 6)
}

__attribute__((target("avx2,fma"))) void warden_sgemm_avx2_rows_a(
    long kc, const float *a, long lda, const float *b, float *c, long ldc, long rows, long columns,
    const WardenTileEpilogue *e) {
    AVX2_SWITCH(lda, 1)
}

#else

WardenTileShape warden_sgemm_avx512_tile(void) { return (WardenTileShape){12, 32}; }
WardenTileShape warden_sgemm_avx2_tile(void) { return (WardenTileShape){6, 16}; }
void warden_sgemm_avx512(long kc, const float *a, const float *b, float *c, long ldc, long rows,
                         long columns, const WardenTileEpilogue *e) {}
void warden_sgemm_avx2(long kc, const float *a, const float *b, float *c, long ldc, long rows,
                       long columns, const WardenTileEpilogue *e) {}
void warden_sgemm_avx512_rows_a(long kc, const float *a, long lda, const float *b, float *c, long ldc,
                                long rows, long columns, const WardenTileEpilogue *e) {}
void warden_sgemm_avx2_rows_a(long kc, const float *a, long lda, const float *b, float *c, long ldc,
                              long rows, long columns, const WardenTileEpilogue *e) {}

#endif
