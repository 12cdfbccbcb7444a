import Foundation

/// The standard `process_*` series (as Prometheus' client libraries name them), read from
/// `/proc/self` at each scrape: CPU seconds, resident and virtual memory, open and maximum
/// file descriptors, threads, start time. Empty where `/proc` is absent.
enum ProcessMetrics {
    static func exposition() -> String {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return "" }
        // Fields after the command name, which may hold spaces: state is field 3.
        let f = stat[stat.index(after: close)...].split(separator: " ").map(String.init)
        func field(_ n: Int) -> Double { Double(f.count > n - 3 ? f[n - 3] : "0") ?? 0 }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let page = Double(sysconf(Int32(_SC_PAGESIZE)))
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ value: Double) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(format(value))\n"
        }
        family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", (field(14) + field(15)) / ticks)
        family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", field(24) * page)
        family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", field(23))
        if let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            family("process_open_fds", "gauge", "Number of open file descriptors.", Double(fds.count))
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            family("process_max_fds", "gauge", "Maximum number of open file descriptors.", Double(limit.rlim_cur))
        }
        family("process_threads", "gauge", "Number of OS threads in the process.", field(20))
        if let boot = bootTime() {
            family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", boot + field(22) / ticks)
        }
        return out
    }

    /// `btime` of /proc/stat: when the machine booted (process start times count from it).
    private static func bootTime() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("btime ") }.flatMap { Double($0.dropFirst(6)) }
    }

    private static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}
