import CTonehostABI
import Foundation
import Logging

/// A plugin run in a worker process (`isolation = "process"` in its manifest): the library is
/// loaded by `tonehost plugin-worker`, and this proxy serves the same ABI to the host over the
/// worker's stdin/stdout (WorkerProtocol). A crash, an abort, an exit or a hang of the worker
/// fails only the calls in flight on it; the next call starts a new worker (with backoff), and a
/// plugin that keeps crashing is marked failed instead of being restarted forever.
final class IsolatedPlugin: @unchecked Sendable {
    /// Restart delays after consecutive crashes (a call that succeeds resets the count); after
    /// `maxCrashes` consecutive crashes within `crashWindow` the plugin stays failed until a reload.
    static let backoff: [Double] = [0, 0.1, 0.25, 0.5, 1, 2]
    static let maxCrashes = 5
    static let crashWindow: TimeInterval = 60
    /// A cancelled call whose worker does not end it within this long: the worker is hung and killed.
    static let hangGrace: TimeInterval = 2

    let manifest: PluginManifest
    let executable: String
    let logger: Logger
    /// The host-side instance's services (its bound LLM answers the worker's `tonehost.llm.v1` chats).
    weak var host: HostAPI?
    private let chats = Locked<[Int: Task<Void, Never>]>([:])
    private(set) var ready: [String: Any] = [:]

    private let lock = NSCondition()
    private var worker: Worker?
    private var crashes: [Date] = []
    private var failedReason: String?
    private var shuttingDown = false
    private var nextID = 0

    /// One worker process and its calls in flight.
    final class Worker {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        var pending: [Int: PendingCall] = [:]
        var alive = true
    }

    /// Frames for one call, waited for by the host thread running the call (woken alone: a
    /// shared condition would wake every call in flight for every frame).
    final class PendingCall {
        var frames: [[String: Any]] = []
        var ended = false
        let arrived = DispatchSemaphore(value: 0)
    }

    init(manifest: PluginManifest, executable: String, logger: Logger) throws {
        self.manifest = manifest
        self.executable = executable
        self.logger = logger
        Self.ignoreSIGPIPE
        lock.lock()
        defer { lock.unlock() }
        let w = try startLocked()
        worker = w
    }

    /// The worker executable: $TONEHOST_WORKER_EXECUTABLE, else this program when it is tonehost.
    static func workerExecutable(environment: [String: String]) -> String? {
        if let e = environment["TONEHOST_WORKER_EXECUTABLE"], !e.isEmpty { return e }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        if (me as NSString).lastPathComponent == "tonehost" { return me }
        let beside = PluginLibrary.executableDirectory + "/tonehost"
        return FileManager.default.isExecutableFile(atPath: beside) ? beside : nil
    }

    // MARK: Worker lifecycle (all under `lock`)

    private func startLocked() throws -> Worker {
        let w = Worker()
        w.process.executableURL = URL(fileURLWithPath: executable)
        w.process.arguments = ["plugin-worker", "--manifest", manifest.file]
        w.process.standardInput = w.input
        w.process.standardOutput = w.output
        w.process.standardError = FileHandle.standardError
        do {
            try w.process.run()
        } catch {
            throw PluginLoadError(file: manifest.file, reason: "cannot start the plugin worker \(executable): \(error)")
        }
        // Wait for {"ready"} (or {"fatal"}) before serving calls.
        var reader = WorkerProtocol.LineReader()
        let handle = w.output.fileHandleForReading
        let deadline = Date().addingTimeInterval(30)
        var first: [String: Any]?
        while first == nil, Date() < deadline {
            let data = handle.availableData
            if data.isEmpty { break }
            for frame in reader.push(data).compactMap(WorkerProtocol.decode) where first == nil {
                if frame["ready"] != nil || frame["fatal"] != nil { first = frame } else { relayLog(frame) }
            }
        }
        guard let hello = first, let info = hello["ready"] as? [String: Any] else {
            w.process.terminate()
            let reason = (first?["fatal"] as? String) ?? "the worker exited or said nothing within 30 s"
            throw PluginLoadError(file: manifest.file, reason: "isolated plugin did not start: \(reason)")
        }
        ready = info
        let carried = reader
        let thread = Thread { [weak self] in self?.readLoop(w, reader: carried) }
        thread.name = "tonehost-worker-io"
        thread.start()
        logger.info("plugin worker started", metadata: ["plugin": "\(manifest.name)", "pid": "\(w.process.processIdentifier)"])
        return w
    }

    /// Reads the worker's frames until it closes its stdout (exit, crash, kill).
    private func readLoop(_ w: Worker, reader initial: WorkerProtocol.LineReader) {
        var reader = initial
        let handle = w.output.fileHandleForReading
        while true {
            let data = handle.availableData
            if data.isEmpty { break }
            let frames = reader.push(data).compactMap(WorkerProtocol.decode)
            lock.lock()
            var woken: [PendingCall] = []
            for frame in frames {
                if let chatID = frame["chat_id"] as? Int {
                    handleChat(w, chatID, frame)
                    continue
                }
                if frame["log"] != nil {
                    relayLog(frame)
                    continue
                }
                guard let id = frame["id"] as? Int, let call = w.pending[id] else { continue }
                call.frames.append(frame)
                if frame["done"] != nil { call.ended = true }
                if woken.last !== call { woken.append(call) }
            }
            lock.unlock()
            for call in woken { call.arrived.signal() }
        }
        w.process.waitUntilExit()
        let how = w.process.terminationReason == .uncaughtSignal
            ? "was killed by signal \(w.process.terminationStatus)\(Self.signalName(w.process.terminationStatus))"
            : "exited with status \(w.process.terminationStatus)"
        lock.lock()
        w.alive = false
        // Counted before the failed calls are answered, so whoever sees one failure sees the count.
        if !shuttingDown { PluginCrashes.record(manifest.name) }
        let inFlight = w.pending.count
        for call in w.pending.values where !call.ended {
            call.frames.append(["done": Int(TONEHOST_ERR_UNAVAILABLE), "error": "plugin worker \(how) during the call"])
            call.ended = true
            call.arrived.signal()
        }
        if shuttingDown {
            lock.broadcast()
            lock.unlock()
            return
        }
        if worker === w { worker = nil }
        crashes.append(Date())
        crashes.removeAll { Date().timeIntervalSince($0) > Self.crashWindow }
        if crashes.count >= Self.maxCrashes, failedReason == nil {
            let reason = "plugin \(manifest.name) keeps crashing (\(crashes.count) worker crashes within \(Int(Self.crashWindow)) s; last: \(how)); fix it and reload"
            failedReason = reason
            PluginCrashes.markFailed(manifest.name, reason)
        }
        let failed = failedReason
        lock.broadcast()
        lock.unlock()
        logger.error("plugin worker \(how)", metadata: ["plugin": "\(manifest.name)", "calls_failed": "\(inFlight)",
                                                         "state": "\(failed == nil ? "restarting" : "failed")"])
    }

    /// A live worker, started (after the backoff) when the last one died.
    /// A call arriving during the backoff waits for it (at most `backoff.last`, on its own host
    /// thread) rather than failing.
    private func liveWorkerLocked() throws -> Worker {
        while true {
            if let w = worker, w.alive { return w }
            if let failedReason { throw PluginLoadError(file: manifest.file, reason: failedReason) }
            let delay = Self.backoff[min(crashes.count, Self.backoff.count - 1)]
            if let last = crashes.last, Date().timeIntervalSince(last) < delay {
                _ = lock.wait(until: last.addingTimeInterval(delay))
                continue
            }
            let w = try startLocked()
            worker = w
            return w
        }
    }

    // MARK: Calls

    /// Runs one operation in the worker and relays its output to `api`. Blocks the host thread
    /// running the call (as any blocking plugin does); returns soon after a cancellation.
    func call(_ request: [String: Any], _ call: OpaquePointer?, _ apiPointer: UnsafePointer<tonehost_call_api>?) -> tonehost_status {
        guard let call, let api = apiPointer?.pointee else { return TONEHOST_ERR_INVALID_ARGUMENT }
        func fail(_ status: tonehost_status, _ message: String) -> tonehost_status {
            message.withCString { api.fail(call, status, $0) }
            return status
        }
        var message = request
        let remaining = api.remaining_ms(call)
        if remaining != UInt64.max { message["deadline_ms"] = Int(min(remaining, UInt64(Int32.max))) }
        lock.lock()
        let w: Worker
        do {
            w = try liveWorkerLocked()
        } catch {
            lock.unlock()
            return fail(TONEHOST_ERR_UNAVAILABLE, (error as? PluginLoadError)?.reason ?? "\(error)")
        }
        nextID += 1
        let id = nextID
        message["id"] = id
        let pending = PendingCall()
        w.pending[id] = pending
        lock.unlock()
        defer {
            lock.lock()
            w.pending[id] = nil
            lock.unlock()
        }
        Self.write(w, WorkerProtocol.encode(message))

        var cancelledAt: Date?
        while true {
            _ = pending.arrived.wait(timeout: .now() + .milliseconds(50))
            lock.lock()
            let frames = pending.frames
            pending.frames.removeAll()
            lock.unlock()
            for frame in frames {
                if let text = frame["text"] as? String {
                    let stopped = text.withCString { api.emit(call, $0, strlen($0)) }
                    if stopped != 0 && cancelledAt == nil { cancelledAt = Date(); sendCancel(w, id) }
                } else if let p = frame["passage"] as? [String: Any] {
                    if emitPassage(p, call, api) != 0 && cancelledAt == nil { cancelledAt = Date(); sendCancel(w, id) }
                } else if let done = frame["done"] as? Int {
                    if done == Int(TONEHOST_OK) {
                        lock.lock()
                        if !crashes.isEmpty { crashes.removeAll() }  // it works again: backoff and count start over
                        lock.unlock()
                        return TONEHOST_OK
                    }
                    return fail(Int32(clamping: done), frame["error"] as? String ?? "isolated plugin returned \(done)")
                }
            }
            if cancelledAt == nil, api.is_cancelled(call) != 0 {
                cancelledAt = Date()
                sendCancel(w, id)
            }
            if let at = cancelledAt {
                // The host has stopped waiting; give the worker a moment, then call it hung.
                if Date().timeIntervalSince(at) > Self.hangGrace {
                    logger.error("plugin worker did not end a cancelled call; killing it", metadata: ["plugin": "\(manifest.name)"])
                    kill(w.process.processIdentifier, SIGKILL)
                    return TONEHOST_ERR_CANCELLED
                }
            }
        }
    }

    private func sendCancel(_ w: Worker, _ id: Int) {
        Self.write(w, WorkerProtocol.encode(["id": id, "op": "cancel"]))
    }

    /// Writes a frame with write(2): a dead worker's pipe gives EPIPE (SIGPIPE is ignored), which
    /// the read side reports as the crash; FileHandle would raise instead.
    static func write(_ w: Worker, _ data: Data) {
        let fd = w.input.fileHandleForWriting.fileDescriptor
        data.withUnsafeBytes { buf in
            var off = 0
            while off < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                if n <= 0 { if errno == EINTR { continue } else { return } }
                off += n
            }
        }
    }

    /// Writing to a dead worker must not kill the host.
    static let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN) }()

    private func emitPassage(_ p: [String: Any], _ call: OpaquePointer, _ api: tonehost_call_api) -> Int32 {
        func s(_ k: String) -> String { p[k] as? String ?? "" }
        let strings = CStrings()
        var passage = tonehost_passage(struct_size: UInt32(MemoryLayout<tonehost_passage>.size), id: strings.make(s("id")),
                                       title: strings.make(s("title")), content: strings.make(s("content")),
                                       source: strings.make(s("source")), language: strings.make(s("language")),
                                       score: p["score"] as? Double ?? 0)
        return withExtendedLifetime(strings) { api.emit_passage(call, &passage) }
    }

    /// A `{"log":{"level","message"}}` frame, written as the host's own line.
    private func relayLog(_ frame: [String: Any]) {
        guard let log = frame["log"] as? [String: String] else { return }
        logger.log(level: Logger.Level(rawValue: log["level"] ?? "info") ?? .info, "\(log["message"] ?? "")",
                   metadata: ["plugin": "\(manifest.name)", "isolated": "true"])
    }

    /// The worker's plugin called `tonehost.llm.v1`: run the chat with the host's bound LLM and
    /// stream the text back (`{"chat_id","text"}` …, then `{"chat_id","done"[,"error"]}`).
    private func handleChat(_ w: Worker, _ chatID: Int, _ frame: [String: Any]) {
        if frame["cancel"] != nil {
            chats.value[chatID]?.cancel()
            return
        }
        guard let chat = frame["chat"] as? [String: Any] else { return }
        let messages = (chat["messages"] as? [[String: String]] ?? []).map { ChatMessage(role: $0["role"] ?? "user", content: $0["content"] ?? "") }
        let temperature = chat["temperature"] as? Double ?? -1
        let input = GenerationInput(purpose: chat["purpose"] as? String ?? "plugin", messages: messages,
                                    question: messages.last { $0.role == "user" }?.content ?? "", language: "", passages: [],
                                    temperature: temperature < 0 ? nil : temperature)
        let deadline = (chat["deadline_ms"] as? Int).map { Duration.milliseconds($0) }
        let llm = host?.serviceLLM
        let task = Task { [chats] in
            defer { chats.mutate { $0[chatID] = nil } }
            guard let llm else {
                Self.write(w, WorkerProtocol.encode(["chat_id": chatID, "done": Int(TONEHOST_ERR_UNAVAILABLE), "error": "no LLM is configured for plugins"]))
                return
            }
            do {
                try await llm.generate(input, deadline: deadline) { text in Self.write(w, WorkerProtocol.encode(["chat_id": chatID, "text": text])) }
                Self.write(w, WorkerProtocol.encode(["chat_id": chatID, "done": Int(TONEHOST_OK)]))
            } catch {
                Self.write(w, WorkerProtocol.encode(["chat_id": chatID, "done": Int(PluginCallError.serviceStatus(error)), "error": "\(error)"]))
            }
        }
        chats.mutate { $0[chatID] = task }
    }

    /// A per-answer stream token: a heap box holding the stream's id (the worker keeps the state).
    final class StreamToken {
        let id: Int
        private let lock = NSLock()
        private var begun = false
        private(set) var finalSent = false
        init(_ id: Int) { self.id = id }

        /// Records a segment; true for the first (it begins the worker's state).
        func mark(final: Bool) -> Bool {
            lock.lock()
            defer { lock.unlock() }
            if final { finalSent = true }
            defer { begun = true }
            return !begun
        }

        var needsEnd: Bool {
            lock.lock()
            defer { lock.unlock() }
            return begun && !finalSent
        }
    }

    func beginStream() -> UnsafeMutableRawPointer? {
        lock.lock()
        nextID += 1
        let sid = nextID
        lock.unlock()
        return Unmanaged.passRetained(StreamToken(sid)).toOpaque()
    }

    /// Only an answer that ended without its final segment (failed, cancelled) needs a frame.
    func endStream(_ p: UnsafeMutableRawPointer) {
        let token = Unmanaged<StreamToken>.fromOpaque(p).takeRetainedValue()
        guard token.needsEnd else { return }
        lock.lock()
        let w = worker
        lock.unlock()
        if let w, w.alive { Self.write(w, WorkerProtocol.encode(["id": 0, "op": "end", "stream": token.id])) }
    }

    /// Ends the worker (a reload replaced this generation, or the host is stopping).
    func shutdown() {
        lock.lock()
        let w = worker
        worker = nil
        shuttingDown = true
        failedReason = failedReason ?? "shut down"
        lock.unlock()
        if let w, w.alive {
            try? w.input.fileHandleForWriting.close()  // EOF: the worker exits
        }
    }

    static func signalName(_ n: Int32) -> String {
        [SIGSEGV: " (SIGSEGV)", SIGABRT: " (SIGABRT)", SIGKILL: " (SIGKILL)", SIGBUS: " (SIGBUS)", SIGFPE: " (SIGFPE)",
         SIGXCPU: " (SIGXCPU: CPU limit)", SIGILL: " (SIGILL)"][n] ?? ""
    }

    // MARK: The descriptor the host calls

    /// A descriptor for this worker's plugin: its own id, version, flags (less NONBLOCKING: a
    /// proxy call waits for the worker) and operations that forward to `call`.
    func makeDescriptor() -> UnsafePointer<tonehost_plugin> {
        let d = UnsafeMutablePointer<tonehost_plugin>.allocate(capacity: 1)  // lives for the process
        d.initialize(to: tonehost_plugin())
        d.pointee.abi_version = TONEHOST_ABI_VERSION
        d.pointee.struct_size = UInt32(MemoryLayout<tonehost_plugin>.size)
        d.pointee.id = UnsafePointer(strdup(ready["id"] as? String ?? "isolated"))
        d.pointee.version = UnsafePointer(strdup(ready["version"] as? String ?? ""))
        d.pointee.description = UnsafePointer(strdup("isolated: " + (ready["description"] as? String ?? "")))
        d.pointee.flags = UInt32(ready["flags"] as? Int ?? 0) & ~TONEHOST_FLAG_NONBLOCKING
        if let category = ready["tone_category"] as? String { d.pointee.tone_category = UnsafePointer(strdup(category)) }
        d.pointee.create = { _, _, error, size in
            if let error, size > 0 { _ = strncpy(error, "isolated plugins are created by the host", size - 1) }
            return nil
        }
        d.pointee.destroy = { instance in
            guard let instance else { return }
            let plugin = Unmanaged<IsolatedPlugin>.fromOpaque(instance).takeRetainedValue()
            plugin.shutdown()
        }
        switch manifest.kind {
        case .tone:
            d.pointee.kind = TONEHOST_KIND_TONE
            if ready["tone_streams"] as? Bool == true {
                // Per-answer state lives in the worker; the host holds a token naming it.
                d.pointee.tone_stream_begin = { instance, _ in
                    Unmanaged<IsolatedPlugin>.fromOpaque(instance!).takeUnretainedValue().beginStream()
                }
                d.pointee.tone_stream_end = { instance, stream in
                    guard let stream else { return }
                    Unmanaged<IsolatedPlugin>.fromOpaque(instance!).takeUnretainedValue().endStream(stream)
                }
            }
            d.pointee.convert_tone = { instance, request, call, api in
                guard let r = request?.pointee else { return TONEHOST_ERR_INVALID_ARGUMENT }
                var message: [String: Any] = [
                    "op": "tone", "text": str(r.text), "user_description": str(r.user_description), "user_msg": str(r.user_msg),
                    "language": str(r.language), "first_message": r.first_message != 0, "segment_index": Int(r.segment_index),
                    "is_final": r.is_final != 0, "session_id": str(r.session_id),
                ]
                if let stream = r.stream {
                    // The first segment begins the worker's stream state, the final one ends it:
                    // no frames of their own.
                    let token = Unmanaged<StreamToken>.fromOpaque(stream).takeUnretainedValue()
                    message["stream"] = token.id
                    if token.mark(final: r.is_final != 0) { message["begin_stream"] = true }
                }
                return Unmanaged<IsolatedPlugin>.fromOpaque(instance!).takeUnretainedValue().call(message, call, api)
            }
        case .toneSelector:
            d.pointee.kind = TONEHOST_KIND_TONE_SELECTOR
            d.pointee.select_tone = { instance, request, call, api in
                guard let r = request?.pointee else { return TONEHOST_ERR_INVALID_ARGUMENT }
                let categories = (0..<r.category_count).map { str(r.categories?[$0]) }
                return Unmanaged<IsolatedPlugin>.fromOpaque(instance!).takeUnretainedValue().call([
                    "op": "select", "description": str(r.user_description), "language": str(r.language), "categories": categories,
                ], call, api)
            }
        case .describer:
            d.pointee.kind = TONEHOST_KIND_DESCRIBER
            d.pointee.describe = { instance, request, call, api in
                guard let r = request?.pointee else { return TONEHOST_ERR_INVALID_ARGUMENT }
                return Unmanaged<IsolatedPlugin>.fromOpaque(instance!).takeUnretainedValue().call([
                    "op": "describe", "session_id": str(r.session_id), "image": str(r.image_base64),
                ], call, api)
            }
        case .retriever:
            d.pointee.kind = TONEHOST_KIND_RETRIEVER
            d.pointee.retrieve = { instance, request, call, api in
                guard let r = request?.pointee else { return TONEHOST_ERR_INVALID_ARGUMENT }
                return Unmanaged<IsolatedPlugin>.fromOpaque(instance!).takeUnretainedValue().call([
                    "op": "retrieve", "query": str(r.query), "language": str(r.language), "top_k": Int(r.top_k),
                ], call, api)
            }
        case .llm:
            d.pointee.kind = TONEHOST_KIND_LLM
            d.pointee.generate = { instance, request, call, api in
                guard let r = request?.pointee else { return TONEHOST_ERR_INVALID_ARGUMENT }
                let messages = (0..<r.message_count).map { ["role": str(r.messages![$0].role), "content": str(r.messages![$0].content)] }
                let passages = (0..<r.passage_count).map { i -> [String: Any] in
                    let p = r.passages![i]
                    return ["id": str(p.id), "title": str(p.title), "content": str(p.content), "source": str(p.source),
                            "language": str(p.language), "score": p.score]
                }
                return Unmanaged<IsolatedPlugin>.fromOpaque(instance!).takeUnretainedValue().call([
                    "op": "generate", "purpose": str(r.purpose), "messages": messages, "question": str(r.question),
                    "language": str(r.language), "passages": passages, "temperature": r.temperature, "max_tokens": Int(r.max_tokens),
                ], call, api)
            }
        }
        return UnsafePointer(d)
    }
}

/// Worker crashes by plugin, for `tonehost_plugin_crashes_total{plugin}` (the server reads it).
public enum PluginCrashes {
    private static let counts = Locked<[String: Int]>([:])
    /// Called on every crash, with the plugin's manifest name.
    nonisolated(unsafe) public static var onCrash: (@Sendable (String) -> Void)?

    private static let failedPlugins = Locked<[String: String]>([:])

    static func record(_ plugin: String) {
        counts.mutate { $0[plugin, default: 0] += 1 }
        onCrash?(plugin)
    }

    static func markFailed(_ plugin: String, _ reason: String) { failedPlugins.mutate { $0[plugin] = reason } }

    /// A new generation (reload) starts its workers afresh.
    public static func clearFailed() { failedPlugins.mutate { $0.removeAll() } }

    public static var all: [String: Int] { counts.value }
    /// Isolated plugins given up on (they kept crashing), with the reason; /readyz lists them.
    public static var failed: [String: String] { failedPlugins.value }
}

/// A borrowed C string of a request, copied ("" for NULL).
private func str(_ p: UnsafePointer<CChar>?) -> String { p.map { String(cString: $0) } ?? "" }
