#ifndef CWARDEN_KERNELS_H
#define CWARDEN_KERNELS_H

#include <stddef.h>

/// What the microkernel does with its tile when it stores it.
///
/// `c = (load ? c : 0) + alpha * (A·B)`, then, when `last` is set,
/// `c += row_bias[i] + col_bias[j]` and `c = max(c, 0)` when `relu` is set.
/// The bias pointers point at the tile's first row / column and may be NULL.
typedef struct {
    float alpha;
    int load;
    int last;
    int relu;
    const float *row_bias;
    const float *col_bias;
} WardenTileEpilogue;

/// The register tile of a microkernel: `mr` rows of A by `nr` columns of B.
typedef struct {
    long mr;
    long nr;
} WardenTileShape;

/// 2 when the CPU runs the AVX-512 kernel, 1 for AVX2 + FMA, 0 for neither.
int warden_sgemm_isa(void);

WardenTileShape warden_sgemm_avx512_tile(void);
WardenTileShape warden_sgemm_avx2_tile(void);

/// One register tile: `a` is a packed A panel ([kc][tile.mr]), `b` a packed
/// B panel ([kc][tile.nr]); `rows` ≤ tile.mr and `columns` ≤ tile.nr say how
/// much of the tile lands in C (row-major, leading dimension `ldc`).
/// Call only when `warden_sgemm_isa()` says the CPU has the instructions.
void warden_sgemm_avx512(long kc, const float *a, const float *b, float *c, long ldc,
                         long rows, long columns, const WardenTileEpilogue *epilogue);
void warden_sgemm_avx2(long kc, const float *a, const float *b, float *c, long ldc,
                       long rows, long columns, const WardenTileEpilogue *epilogue);

/// The same tiles reading A in place from a row-major matrix: row `i`, depth
/// `p` at `a[i * lda + p]`. An activation matrix goes in without packing.
void warden_sgemm_avx512_rows_a(long kc, const float *a, long lda, const float *b, float *c, long ldc,
                                long rows, long columns, const WardenTileEpilogue *epilogue);
void warden_sgemm_avx2_rows_a(long kc, const float *a, long lda, const float *b, float *c, long ldc,
                              long rows, long columns, const WardenTileEpilogue *epilogue);

/// A spin-wait hint (`pause` on x86, `yield` on Arm) for a thread polling for
/// work, so it spins without starving the other hardware thread or burning power.
static inline void warden_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#endif
