#include "tonehost_ffi.h"

#include <ffi.h>
#include <stdint.h>
#include <stdio.h>

static ffi_type *ffi_type_of(tonehost_ffi_type t) {
    switch (t) {
    case TONEHOST_FFI_POINTER: return &ffi_type_pointer;
    case TONEHOST_FFI_INT32: return &ffi_type_sint32;
    case TONEHOST_FFI_UINT32: return &ffi_type_uint32;
    case TONEHOST_FFI_VOID: return &ffi_type_void;
    }
    return NULL;
}

int tonehost_ffi_call(void (*fn)(void), unsigned nargs, const tonehost_ffi_type *types, void **values,
                      tonehost_ffi_type return_type, void *result, char *error, size_t error_size) {
    enum { MAX_ARGS = 16 };
    if (nargs > MAX_ARGS) {
        snprintf(error, error_size, "at most %d arguments, found %u", MAX_ARGS, nargs);
        return -1;
    }
    ffi_type *arg_types[MAX_ARGS];
    for (unsigned i = 0; i < nargs; i++) {
        arg_types[i] = ffi_type_of(types[i]);
        if (!arg_types[i] || types[i] == TONEHOST_FFI_VOID) {
            snprintf(error, error_size, "argument %u has no C type", i + 1);
            return -1;
        }
    }
    ffi_cif cif;
    ffi_status status = ffi_prep_cif(&cif, FFI_DEFAULT_ABI, nargs, ffi_type_of(return_type), arg_types);
    if (status != FFI_OK) {
        snprintf(error, error_size, "libffi cannot prepare the call (ffi_prep_cif status %d)", (int)status);
        return -1;
    }
    /* libffi widens integral results to ffi_arg; pointers fit in it too. */
    ffi_arg slot = 0;
    ffi_call(&cif, fn, &slot, values);
    switch (return_type) {
    case TONEHOST_FFI_POINTER: *(void **)result = (void *)(uintptr_t)slot; break;
    case TONEHOST_FFI_INT32: *(int32_t *)result = (int32_t)slot; break;
    case TONEHOST_FFI_UINT32: *(uint32_t *)result = (uint32_t)slot; break;
    case TONEHOST_FFI_VOID: break;
    }
    return 0;
}

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

void tonehost_die_with_parent(void) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) _exit(0); /* the parent already died before we asked */
}
