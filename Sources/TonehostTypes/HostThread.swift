import CHostThreads
#if canImport(Glibc)
import Glibc
#endif

/// The one way the project starts a thread of its own (the host's pools, timers and I/O
/// threads, and the threads a plugin starts through the kit): a detached pthread, named as the
/// kernel shows it — `top -H`, `ps -L`, `perf report --sort comm`, /proc/PID/task/TID/comm
/// (Foundation's `Thread.name` never reaches the kernel on Linux). A name keeps its first 15
/// bytes.
public enum HostThread {
    private final class Start {
        let name: String
        let body: () -> Void
        init(_ name: String, _ body: @escaping () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Runs `body` on a new thread named `name`, with `stackSize` bytes of stack (the system's
    /// default when nil). False, and `body` not run, when the system refuses a thread.
    @discardableResult
    public static func start(_ name: String, stackSize: Int? = nil, _ body: @escaping () -> Void) -> Bool {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        if let stackSize { pthread_attr_setstacksize(&attributes, stackSize) }
        let context = Unmanaged.passRetained(Start(name, body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attributes, { raw in
            let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
            _ = tonehost_name_this_thread(start.name)
            start.body()
            return nil
        }, context)
        if rc != 0 {
            Unmanaged<Start>.fromOpaque(context).release()
            return false
        }
        return true
    }
}
