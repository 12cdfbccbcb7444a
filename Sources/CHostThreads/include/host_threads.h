#ifndef TONEHOST_HOST_THREADS_H
#define TONEHOST_HOST_THREADS_H

/// Names the calling thread as the kernel shows it (`ps -L`, `top -H`, `perf`, /proc/PID/task/TID/comm):
/// the first 15 bytes of `name` are kept. Returns 0, or an errno value. (Foundation's
/// `Thread.name` does not reach the kernel on Linux, and `pthread_setname_np` is not visible
/// to Swift: it needs _GNU_SOURCE.)
int tonehost_name_this_thread(const char *name);

#endif
