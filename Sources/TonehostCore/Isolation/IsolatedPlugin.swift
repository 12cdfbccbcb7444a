import TonehostTypes
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
    static let backoff: [Double] = [0, 0.05, 0.1, 0.25, 0.5, 1]
    static let maxCrashes = 5
    static let crashWindow: TimeInterval = 60
    /// A cancelled call whose worker does not end it within this long: the worker is hung and killed.
    static let hangGrace: TimeInterval = 2
    /// How often calls in flight are checked for cancellation (the ABI has no cancel callback).
    static let cancelPoll: DispatchTimeInterval = .milliseconds(20)

    let manifest: PluginManifest
    let executable: String
    let logger: Logger
    /// The host-side instance's services (its bound LLM answers the worker's `tonehost.llm.v1` chats).
    weak var host: HostAPI?
    private let chats = Locked<[Int: Task<Void, Never>]>([:])
    private(set) var ready = WorkerProtocol.Ready(id: "isolated", version: "", description: "", flags: 0, toneCategory: nil, toneStreams: false)

    private let lock = NSLock()
    private var worker: Worker?
    /// Calls that arrived while no worker was running: sent when the restart finishes.
    private var waiting: [(PendingCall, [UInt8])] = []
    private var restarting = false
    private var crashes: [Date] = []
    private var failedReason: String?
    private var shuttingDown = false
    private var nextID = 0
    private var watcher: DispatchSourceTimer?

    /// One worker process and its calls in flight.
    final class Worker {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        let writer: WorkerProtocol.FrameWriter
        var pending: [Int: PendingCall] = [:]
        var alive = true
        init() { writer = WorkerProtocol.FrameWriter(fd: input.fileHandleForWriting.fileDescriptor) }
    }

    /// A call the host is waiting on (it returned TONEHOST_PENDING): its handle and callbacks
    /// stay valid until `complete`, which the reader thread calls when the worker's `done`
    /// arrives, or the crash handling when the worker dies.
    final class PendingCall {
        let id: Int
        let call: OpaquePointer
        let api: tonehost_call_api
        var cancelledAt: Date?
        var completed = false
        init(id: Int, call: OpaquePointer, api: tonehost_call_api) {
            self.id = id; self.call = call; self.api = api
        }

        /// Ends the call once (`fail` first for an error).
        func complete(_ status: tonehost_status, _ message: String) {
            if status != TONEHOST_OK { message.withCString { api.fail(call, status, $0) } }
            api.complete(call, status)
        }
    }

    init(manifest: PluginManifest, executable: String, logger: Logger) throws {
        self.manifest = manifest
        self.executable = executable
        self.logger = logger
        Self.ignoreSIGPIPE
        worker = try start()
    }

    /// The worker executable: $TONEHOST_WORKER_EXECUTABLE, else this program when it is tonehost.
    static func workerExecutable(environment: [String: String]) -> String? {
        if let e = environment["TONEHOST_WORKER_EXECUTABLE"], !e.isEmpty { return e }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        if (me as NSString).lastPathComponent == "tonehost" { return me }
        let beside = PluginLibrary.executableDirectory + "/tonehost"
        return FileManager.default.isExecutableFile(atPath: beside) ? beside : nil
    }

    // MARK: Worker lifecycle

    /// Starts a worker and waits (this thread, up to 30 s) for its `ready`. Not under `lock`.
    private func start() throws -> Worker {
        let w = Worker()
        w.process.executableURL = URL(fileURLWithPath: executable)
        w.process.arguments = ["plugin-worker", "--manifest", manifest.file]
        w.process.standardInput = w.input
        w.process.standardOutput = w.output
        w.process.standardError = FileHandle.standardError
        // Swift's crash backtracer symbolicates for seconds before the process dies, while the
        // calls in flight wait: off in workers unless the operator set SWIFT_BACKTRACE.
        var environment = ProcessInfo.processInfo.environment
        if environment["SWIFT_BACKTRACE"] == nil { environment["SWIFT_BACKTRACE"] = "enable=no" }
        w.process.environment = environment
        do {
            try w.process.run()
        } catch {
            throw PluginLoadError(file: manifest.file, reason: "cannot start the plugin worker \(executable): \(error)")
        }
        // The reader thread reports the first frame (ready or fatal), then serves the calls.
        let hello = DispatchSemaphore(value: 0)
        let first = Locked<WorkerProtocol.FromWorker?>(nil)
        HostThread.start("tonehost-wkr-io") { [weak self] in
            self?.readLoop(w) { frame in
                first.mutate { $0 = frame }
                hello.signal()
            }
            hello.signal()  // it ended before saying hello
        }
        let answered = hello.wait(timeout: .now() + 30) == .success
        guard answered, case .ready(let info)? = first.value else {
            w.process.terminate()
            let reason: String
            if case .fatal(let why)? = first.value { reason = why } else { reason = "the worker exited or said nothing within 30 s" }
            throw PluginLoadError(file: manifest.file, reason: "isolated plugin did not start: \(reason)")
        }
        ready = info
        logger.info("plugin worker started", metadata: ["plugin": "\(manifest.name)", "pid": "\(w.process.processIdentifier)"])
        return w
    }

    /// Reads the worker's frames until it closes its stdout (exit, crash, kill). `hello` gets
    /// the first ready/fatal frame.
    private func readLoop(_ w: Worker, hello: (WorkerProtocol.FromWorker) -> Void) {
        var reader = WorkerProtocol.FrameReader(fd: w.output.fileHandleForReading.fileDescriptor)
        var greeted = false
        let ended = reader.run { payload in  // returns when the worker's stdout ends
            let frame: WorkerProtocol.FromWorker
            do {
                frame = try WorkerProtocol.decodeFromWorker(payload)
            } catch {
                logger.error("plugin worker sent a malformed frame; killing it", metadata: ["plugin": "\(manifest.name)", "error": "\(error)"])
                kill(w.process.processIdentifier, SIGKILL)
                return
            }
            switch frame {
            case .ready, .fatal:
                if !greeted { greeted = true; hello(frame) }
            case .log(let level, let message):
                relayLog(level, message)
            case .chat(let chatID, let input, let deadline):
                startChat(w, chatID, input, deadline)
            case .chatCancel(let chatID):
                chats.value[chatID]?.cancel()
            case .text(let id, let text):
                guard let call = pendingCall(w, id) else { return }
                let stopped = text.withCString { call.api.emit(call.call, $0, strlen($0)) }
                if stopped != 0 { noteCancelled(w, call) }
            case .passage(let id, let p):
                guard let call = pendingCall(w, id) else { return }
                if emitPassage(p, call.call, call.api) != 0 { noteCancelled(w, call) }
            case .done(let id, let status, let error):
                lock.lock()
                let call = w.pending.removeValue(forKey: id)
                if call != nil { call!.completed = true }
                if status == TONEHOST_OK, !crashes.isEmpty { crashes.removeAll() }  // it works again: backoff and count start over
                lock.unlock()
                call?.complete(status, error.isEmpty ? "isolated plugin returned \(status)" : error)
            }
        }
        w.process.waitUntilExit()
        guard greeted else {
            // It never served: start() reports why.
            lock.lock()
            w.alive = false
            lock.unlock()
            return
        }
        let how = w.process.terminationReason == .uncaughtSignal
            ? "was killed by signal \(w.process.terminationStatus)\(Self.signalName(w.process.terminationStatus))"
            : "exited with status \(w.process.terminationStatus)"
        lock.lock()
        w.alive = false
        // Counted before the failed calls are answered, so whoever sees one failure sees the count.
        if !shuttingDown { PluginCrashes.record(manifest.name) }
        let inFlight = Array(w.pending.values)
        w.pending.removeAll()
        inFlight.forEach { $0.completed = true }
        var failed: String?
        if !shuttingDown {
            if worker === w { worker = nil }
            crashes.append(Date())
            crashes.removeAll { Date().timeIntervalSince($0) > Self.crashWindow }
            if crashes.count >= Self.maxCrashes, failedReason == nil {
                let reason = "plugin \(manifest.name) keeps crashing (\(crashes.count) worker crashes within \(Int(Self.crashWindow)) s; last: \(how)); fix it and reload"
                failedReason = reason
                PluginCrashes.markFailed(manifest.name, reason)
            }
            failed = failedReason
        }
        let stopping = shuttingDown
        lock.unlock()
        for call in inFlight { call.complete(TONEHOST_ERR_UNAVAILABLE, "plugin worker \(how) during the call") }
        guard !stopping else { return }
        logger.error("plugin worker \(how)", metadata: ["plugin": "\(manifest.name)", "calls_failed": "\(inFlight.count)", "stream": "\(ended)",
                                                         "state": "\(failed == nil ? "restarting" : "failed")"])
    }

    private func pendingCall(_ w: Worker, _ id: Int) -> PendingCall? {
        lock.lock()
        defer { lock.unlock() }
        return w.pending[id]
    }

    /// The host stopped waiting for `call` (deadline, client gone): tell the worker once.
    private func noteCancelled(_ w: Worker, _ call: PendingCall) {
        lock.lock()
        let first = call.cancelledAt == nil && !call.completed
        if first { call.cancelledAt = Date() }
        lock.unlock()
        if first { w.writer.send(WorkerProtocol.encode(.cancel(id: call.id))) }
    }

    /// Restarts the worker (after the backoff) on a thread of its own, then sends the calls that
    /// waited for it — or fails them when the plugin is given up on or will not start.
    private func scheduleRestartLocked() {
        guard !restarting else { return }
        restarting = true
        let delay = Self.backoff[min(crashes.count, Self.backoff.count - 1)]
        let wait = crashes.last.map { max(0, delay - Date().timeIntervalSince($0)) } ?? 0
        PluginThreadPool.shared.submit { [self] in
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            var started: Result<Worker, Error>
            do { started = .success(try start()) } catch { started = .failure(error) }
            lock.lock()
            restarting = false
            let calls = waiting
            waiting.removeAll()
            if shuttingDown, case .success(let w) = started {
                try? w.input.fileHandleForWriting.close()
                started = .failure(PluginLoadError(file: manifest.file, reason: "shut down"))
            }
            if case .success(let w) = started {
                worker = w
                for (call, _) in calls { w.pending[call.id] = call }
            }
            lock.unlock()
            switch started {
            case .success(let w):
                for (_, frame) in calls { w.writer.send(frame) }
                ensureWatcher()
            case .failure(let error):
                let reason = (error as? PluginLoadError)?.reason ?? "\(error)"
                for (call, _) in calls { call.complete(TONEHOST_ERR_UNAVAILABLE, reason) }
            }
        }
    }

    /// Every `cancelPoll` while calls are in flight: tells the worker about calls the host
    /// stopped waiting for, and kills a worker that does not end them within `hangGrace`.
    private func ensureWatcher() {
        lock.lock()
        defer { lock.unlock() }
        guard watcher == nil, !shuttingDown else { return }
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + Self.cancelPoll, repeating: Self.cancelPoll)
        timer.setEventHandler { [weak self] in self?.checkCancellations() }
        watcher = timer
        timer.resume()
    }

    private func checkCancellations() {
        lock.lock()
        guard let w = worker, !w.pending.isEmpty else {
            watcher?.cancel()  // idle: the next call starts it again
            watcher = nil
            lock.unlock()
            return
        }
        let calls = Array(w.pending.values)
        lock.unlock()
        let now = Date()
        for call in calls {
            if let at = call.cancelledAt {
                if now.timeIntervalSince(at) > Self.hangGrace {
                    logger.error("plugin worker did not end a cancelled call; killing it", metadata: ["plugin": "\(manifest.name)"])
                    kill(w.process.processIdentifier, SIGKILL)
                    return
                }
            } else if call.api.is_cancelled(call.call) != 0 {
                noteCancelled(w, call)
            }
        }
    }

    // MARK: Calls

    /// Sends one operation to the worker and returns TONEHOST_PENDING: the reader thread relays
    /// the worker's output to `api` and completes the call. Never blocks (a call arriving while
    /// the worker restarts waits for it without holding a thread).
    func call(_ op: WorkerProtocol.Operation, _ call: OpaquePointer?, _ apiPointer: UnsafePointer<tonehost_call_api>?) -> tonehost_status {
        guard let call, let api = apiPointer?.pointee else { return TONEHOST_ERR_INVALID_ARGUMENT }
        let remaining = api.remaining_ms(call)
        let deadline = remaining == UInt64.max ? nil : Int(min(remaining, UInt64(Int32.max)))
        lock.lock()
        if let failedReason {
            lock.unlock()
            failedReason.withCString { api.fail(call, TONEHOST_ERR_UNAVAILABLE, $0) }
            return TONEHOST_ERR_UNAVAILABLE
        }
        nextID += 1
        let pending = PendingCall(id: nextID, call: call, api: api)
        let frame = WorkerProtocol.encode(.call(id: pending.id, deadlineMilliseconds: deadline, op))
        guard let w = worker, w.alive else {
            waiting.append((pending, frame))
            scheduleRestartLocked()
            lock.unlock()
            return TONEHOST_PENDING
        }
        w.pending[pending.id] = pending
        let startWatcher = watcher == nil
        lock.unlock()
        if startWatcher { ensureWatcher() }
        // A dead worker's pipe fails the write; its reader completes the call as crashed.
        w.writer.send(frame)
        return TONEHOST_PENDING
    }

    /// Writing to a dead worker must not kill the host.
    static let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN) }()

    private func emitPassage(_ p: RetrievedPassage, _ call: OpaquePointer, _ api: tonehost_call_api) -> Int32 {
        let strings = CStrings()
        var passage = tonehost_passage(struct_size: UInt32(MemoryLayout<tonehost_passage>.size), id: strings.make(p.id),
                                       title: strings.make(p.title), content: strings.make(p.content),
                                       source: strings.make(p.source), language: strings.make(p.language), score: p.score)
        return withExtendedLifetime(strings) { api.emit_passage(call, &passage) }
    }

    /// A worker's log line, written as the host's own.
    private func relayLog(_ level: String, _ message: String) {
        logger.log(level: Logger.Level(rawValue: level) ?? .info, "\(message)", metadata: ["plugin": "\(manifest.name)", "isolated": "true"])
    }

    /// The worker's plugin called `tonehost.llm.v1`: run the chat with the host's bound LLM and
    /// stream the text back.
    private func startChat(_ w: Worker, _ chatID: Int, _ input: GenerationInput, _ deadlineMilliseconds: Int?) {
        let deadline = deadlineMilliseconds.map { Duration.milliseconds($0) }
        let llm = host?.serviceLLM
        let writer = w.writer
        let task = Task { [chats] in
            defer { chats.mutate { $0[chatID] = nil } }
            guard let llm else {
                writer.send(WorkerProtocol.encode(.chatDone(chatID: chatID, status: TONEHOST_ERR_UNAVAILABLE, error: "no LLM is configured for plugins")))
                return
            }
            do {
                try await llm.generate(input, deadline: deadline) { text in writer.send(WorkerProtocol.encode(.chatText(chatID: chatID, text))) }
                writer.send(WorkerProtocol.encode(.chatDone(chatID: chatID, status: TONEHOST_OK, error: "")))
            } catch {
                writer.send(WorkerProtocol.encode(.chatDone(chatID: chatID, status: PluginCallError.serviceStatus(error), error: "\(error)")))
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
        if let w, w.alive { w.writer.send(WorkerProtocol.encode(.endStream(token.id))) }
    }

    /// Ends the worker (a reload replaced this generation, or the host is stopping).
    func shutdown() {
        lock.lock()
        let w = worker
        worker = nil
        shuttingDown = true
        failedReason = failedReason ?? "shut down"
        watcher?.cancel()
        watcher = nil
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

    /// A descriptor for this worker's plugin: its own id, version, flags and operations that
    /// forward to `call`.
    func makeDescriptor() -> UnsafePointer<tonehost_plugin> {
        let d = UnsafeMutablePointer<tonehost_plugin>.allocate(capacity: 1)  // lives for the process
        d.initialize(to: tonehost_plugin())
        d.pointee.abi_version = TONEHOST_ABI_VERSION
        d.pointee.struct_size = UInt32(MemoryLayout<tonehost_plugin>.size)
        d.pointee.id = UnsafePointer(strdup(ready.id))
        d.pointee.version = UnsafePointer(strdup(ready.version))
        d.pointee.description = UnsafePointer(strdup("isolated: " + ready.description))
        // The proxy never blocks (its calls return PENDING) and serves calls concurrently: the
        // worker applies the plugin's own SERIALIZED flag.
        d.pointee.flags = (ready.flags | TONEHOST_FLAG_NONBLOCKING) & ~TONEHOST_FLAG_SERIALIZED
        if let category = ready.toneCategory { d.pointee.tone_category = UnsafePointer(strdup(category)) }
        d.pointee.create = { _, _, error, size in
            CErrorBuffer.write("isolated plugins are created by the host", into: error, size: size)
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
            if ready.toneStreams {
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
                let input = ToneInput(text: str(r.text), userDescription: str(r.user_description), userMessage: str(r.user_msg),
                                      language: str(r.language), firstMessage: r.first_message != 0, segmentIndex: Int(r.segment_index),
                                      isFinal: r.is_final != 0, sessionID: str(r.session_id))
                var stream: Int?
                var begin = false
                if let pointer = r.stream {  // the host wrote this request: it has the field
                    // The first segment begins the worker's stream state, the final one ends it:
                    // no frames of their own.
                    let token = Unmanaged<StreamToken>.fromOpaque(pointer).takeUnretainedValue()
                    stream = token.id
                    begin = token.mark(final: r.is_final != 0)
                }
                return Unmanaged<IsolatedPlugin>.fromOpaque(instance!).takeUnretainedValue()
                    .call(.tone(input, stream: stream, beginStream: begin), call, api)
            }
        case .toneSelector:
            d.pointee.kind = TONEHOST_KIND_TONE_SELECTOR
            d.pointee.select_tone = { instance, request, call, api in
                guard let r = request?.pointee else { return TONEHOST_ERR_INVALID_ARGUMENT }
                let categories = (0..<r.category_count).map { str(r.categories?[$0]) }
                return Unmanaged<IsolatedPlugin>.fromOpaque(instance!).takeUnretainedValue()
                    .call(.select(description: str(r.user_description), language: str(r.language), categories: categories), call, api)
            }
        case .describer:
            d.pointee.kind = TONEHOST_KIND_DESCRIBER
            d.pointee.describe = { instance, request, call, api in
                guard let r = request?.pointee else { return TONEHOST_ERR_INVALID_ARGUMENT }
                return Unmanaged<IsolatedPlugin>.fromOpaque(instance!).takeUnretainedValue()
                    .call(.describe(sessionID: str(r.session_id), image: str(r.image_base64)), call, api)
            }
        case .retriever:
            d.pointee.kind = TONEHOST_KIND_RETRIEVER
            d.pointee.retrieve = { instance, request, call, api in
                guard let r = request?.pointee else { return TONEHOST_ERR_INVALID_ARGUMENT }
                // The query vector (appended fields): carried to the worker's retriever.
                var vector: Embedding?
                let reach = MemoryLayout<tonehost_retrieve_request>.offset(of: \tonehost_retrieve_request.vector_model)! + MemoryLayout<UnsafeRawPointer>.size
                if Int(r.struct_size) >= reach, let values = r.query_vector, r.vector_dimension > 0 {
                    vector = Embedding(model: str(r.vector_model), values: Array(UnsafeBufferPointer(start: values, count: Int(r.vector_dimension))))
                }
                return Unmanaged<IsolatedPlugin>.fromOpaque(instance!).takeUnretainedValue()
                    .call(.retrieve(query: str(r.query), language: str(r.language), topK: Int(r.top_k), vector: vector), call, api)
            }
        case .llm:
            d.pointee.kind = TONEHOST_KIND_LLM
            d.pointee.generate = { instance, request, call, api in
                guard let r = request?.pointee else { return TONEHOST_ERR_INVALID_ARGUMENT }
                // The host wrote this request, with its own layout.
                let messages = (0..<r.message_count).map { ChatMessage(role: str(r.messages![$0].role), content: str(r.messages![$0].content)) }
                let passages = (0..<r.passage_count).map { i -> RetrievedPassage in
                    let p = r.passages![i]
                    return RetrievedPassage(id: str(p.id), title: str(p.title), content: str(p.content), source: str(p.source),
                                            language: str(p.language), score: p.score)
                }
                let input = GenerationInput(purpose: str(r.purpose), messages: messages, question: str(r.question), language: str(r.language),
                                            passages: passages, temperature: r.temperature < 0 ? nil : r.temperature,
                                            maxTokens: r.max_tokens > 0 ? Int(r.max_tokens) : nil)
                return Unmanaged<IsolatedPlugin>.fromOpaque(instance!).takeUnretainedValue().call(.generate(input), call, api)
            }
        case .embedder:
            break  // refused when the manifest is read (PluginManifest.load)
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
