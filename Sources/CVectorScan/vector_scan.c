#include "vector_scan.h"

#if defined(__x86_64__) && defined(__clang__)
#define TONEHOST_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TONEHOST_CLONES
#endif

TONEHOST_CLONES
static int32_t dot_i8(const int8_t *restrict a, const int8_t *restrict b, size_t n) {
    int32_t acc = 0;
    for (size_t j = 0; j < n; j++) acc += (int32_t)a[j] * (int32_t)b[j];
    return acc;
}

void tonehost_int8_scan(const int8_t *rows, const float *scales, size_t count, size_t dim,
                        const int8_t *query, float *out) {
    for (size_t i = 0; i < count; i++) {
        out[i] = scales[i] * (float)dot_i8(rows + i * dim, query, dim);
    }
}

void tonehost_int8_scan_strided(const int8_t *rows, size_t stride, const float *scales, size_t count, size_t dim,
                                const int8_t *query, float *out) {
    for (size_t i = 0; i < count; i++) {
        out[i] = scales[i] * (float)dot_i8(rows + i * stride, query, dim);
    }
}

TONEHOST_CLONES
float tonehost_f32_dot(const float *restrict a, const float *restrict b, size_t dim) {
    float acc = 0;
    for (size_t j = 0; j < dim; j++) acc += a[j] * b[j];
    return acc;
}
