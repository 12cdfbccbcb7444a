#ifndef TONEHOST_VECTOR_SCAN_H
#define TONEHOST_VECTOR_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* Dot products of `query` with `count` contiguous rows of `dim` int8 values each (row i at
 * rows + i*dim), scaled per row: out[i] = scales[i] * sum_j rows[i*dim+j] * query[j].
 * Written so the compiler vectorises the inner loop (AVX2 when the CPU has it). */
void tonehost_int8_scan(const int8_t *rows, const float *scales, size_t count, size_t dim,
                        const int8_t *query, float *out);

/* The same over the first `dim` values of rows `stride` values apart (a coarse first pass over
 * a prefix of each row: only the cache lines of the prefix are read). */
void tonehost_int8_scan_strided(const int8_t *rows, size_t stride, const float *scales, size_t count, size_t dim,
                                const int8_t *query, float *out);

/* The same over float32 rows (exact similarity, used to re-score candidates). */
float tonehost_f32_dot(const float *a, const float *b, size_t dim);

#endif
