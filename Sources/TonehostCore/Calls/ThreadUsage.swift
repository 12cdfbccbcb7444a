import Foundation

/// How long the calling thread was *blocked* (asleep, waiting on I/O or a lock) during a plugin
/// call — not merely preempted: on 2 cores under 100 requests a thread that only computes waits
/// tens of milliseconds for a CPU, and an honest NONBLOCKING plugin must not be judged by that.
///
/// Read from `/proc/thread-self/schedstat` (time on the CPU, time runnable but waiting for one),
/// through a descriptor each thread opens once and closes when it exits: blocked = wall time -
/// CPU time - run-queue time. Where that file is missing, `getrusage(RUSAGE_THREAD)` stands in:
/// off-CPU time, counted only when the thread gave up the CPU of its own accord at least once
/// (which a preempted thread that also took a contended lock did too: coarser).
struct ThreadUsage {
    let wall: UInt64
    /// Nanoseconds on the CPU.
    let cpu: UInt64
    /// Nanoseconds runnable but waiting for a CPU (schedstat); nil with getrusage.
    let runQueue: UInt64?
    let voluntarySwitches: Int

    static func now() -> ThreadUsage {
        let wall = DispatchTime.now().uptimeNanoseconds
        if let (cpu, queued) = SchedStat.read() {
            return ThreadUsage(wall: wall, cpu: cpu, runQueue: queued, voluntarySwitches: 0)
        }
        var usage = rusage()
        getrusage(__rusage_who_t(1), &usage)  // RUSAGE_THREAD (a _GNU_SOURCE name)
        func ns(_ t: timeval) -> UInt64 { UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_usec) * 1_000 }
        return ThreadUsage(wall: wall, cpu: ns(usage.ru_utime) + ns(usage.ru_stime), runQueue: nil, voluntarySwitches: usage.ru_nvcsw)
    }

    /// Nanoseconds the thread was blocked since `earlier`.
    func waited(since earlier: ThreadUsage) -> UInt64 {
        let wall = self.wall &- earlier.wall, cpu = self.cpu &- earlier.cpu
        if let queued = runQueue, let before = earlier.runQueue {
            let busy = cpu &+ (queued &- before)
            return wall > busy ? wall - busy : 0
        }
        guard voluntarySwitches > earlier.voluntarySwitches else { return 0 }
        return wall > cpu ? wall - cpu : 0
    }
}

/// This thread's `/proc/thread-self/schedstat`: a descriptor per thread, kept in a pthread key
/// whose destructor closes it when the thread ends (libdispatch retires idle workers).
private enum SchedStat {
    private static let key: pthread_key_t? = {
        var key = pthread_key_t()
        let made = pthread_key_create(&key) { value in
            guard let value else { return }
            close(Int32(Int(bitPattern: value)) - 1)
        }
        return made == 0 ? key : nil
    }()
    /// False once the file could not be opened: do not try on every call.
    nonisolated(unsafe) private static var available = true

    static func read() -> (cpu: UInt64, runQueue: UInt64)? {
        guard available, let key else { return nil }
        var fd: Int32
        if let stored = pthread_getspecific(key) {
            fd = Int32(Int(bitPattern: stored)) - 1
        } else {
            fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { available = false; return nil }
            pthread_setspecific(key, UnsafeRawPointer(bitPattern: Int(fd) + 1))
        }
        var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))  // 64 bytes
        let n = withUnsafeMutableBytes(of: &buffer) { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        // "<on-cpu ns> <run-queue ns> <timeslices>\n"
        return withUnsafeBytes(of: &buffer) { raw -> (UInt64, UInt64)? in
            var fields = (UInt64(0), UInt64(0))
            var field = 0, digits = 0
            for i in 0..<n {
                let b = raw[i]
                if b >= 0x30 && b <= 0x39 {
                    let d = UInt64(b - 0x30)
                    if field == 0 { fields.0 = fields.0 &* 10 &+ d } else { fields.1 = fields.1 &* 10 &+ d }
                    digits += 1
                } else if digits > 0 {
                    field += 1
                    digits = 0
                    if field == 2 { break }
                }
            }
            return field == 2 ? fields : nil
        }
    }
}
