/* Calls a plain C function whose signature is known only at run time (a manifest's
 * "simple" plugin), through libffi. Arguments are pointers to their values. */
#ifndef TONEHOST_FFI_H
#define TONEHOST_FFI_H

#include <stddef.h>

typedef enum tonehost_ffi_type {
    TONEHOST_FFI_POINTER = 0, /* const char *, char * */
    TONEHOST_FFI_INT32 = 1,   /* int, int32_t, bool passed as int */
    TONEHOST_FFI_UINT32 = 2,  /* unsigned, uint32_t */
    TONEHOST_FFI_VOID = 3     /* return type only */
} tonehost_ffi_type;

/* Calls `fn` with `nargs` arguments of the given types (`values[i]` points to argument i's
 * value) and stores the result in `*result` (a pointer-sized slot; ignored for VOID).
 * Returns 0, or -1 when libffi cannot prepare such a call (the message is in `error`). */
int tonehost_ffi_call(void (*fn)(void), unsigned nargs, const tonehost_ffi_type *types, void **values,
                      tonehost_ffi_type return_type, void *result, char *error, size_t error_size);



/* Process helpers for plugin workers (they live here to keep the C shims in one target). */
/* Asks the kernel to SIGKILL this process when its parent dies (no orphaned workers). */
void tonehost_die_with_parent(void);
#endif
