import TonehostTypes
import CTonehostABI
import CTonehostFFI
import Foundation
import Logging

/// `tonehost plugin-worker --manifest FILE`: loads one plugin in this process (with the
/// manifest's resource limits) and serves it to the host over stdin/stdout (WorkerProtocol).
/// Exits when the host closes stdin or dies (the parent-death signal), so no worker outlives it.
public enum PluginWorker {
    public static func serve(manifestFile: String, environment: [String: String], logger workerLogger: Logger) async -> Int32 {
        tonehost_die_with_parent()
        let out = Output()
        // The plugin's log lines (host->log) go to the host, which writes them as its own.
        var logger = Logger(label: workerLogger.label) { _ in FrameLogHandler(out: out) }
        logger.logLevel = .trace
        let plugin: PluginInstance
        do {
            var m = try PluginManifest.load(file: manifestFile, environment: environment)
            try applyLimits(m)
            m.isolation = .inProcess
            let path = try PluginLibrary.resolve(m, environment: environment)
            if let simple = m.simple {
                let (descriptor, instance) = try SimplePlugin.open(m, spec: simple, path: path)
                plugin = try PluginInstance(manifest: m, libraryPath: path, descriptor: descriptor, logger: logger, pool: .shared, precreated: instance)
            } else {
                plugin = try PluginInstance(manifest: m, libraryPath: path, descriptor: try PluginLibrary.open(m, path: path), logger: logger, pool: .shared)
            }
        } catch {
            out.send(.fatal((error as? PluginLoadError)?.reason ?? "\(error)"))
            return 2
        }
        out.send(.ready(WorkerProtocol.Ready(id: plugin.pluginID, version: plugin.pluginVersion, description: plugin.pluginDescription,
                                             flags: plugin.descriptor.pointee.flags, toneCategory: plugin.toneCategory,
                                             toneStreams: plugin.hasToneStreams)))

        // The plugin's `tonehost.llm.v1` chats go to the host, which runs its bound LLM.
        let chats = ChatRelay(out: out)
        plugin.hostAPI.chatForwarder = { input, deadline, onText in try await chats.chat(input, deadline: deadline, onText: onText) }
        let state = CallState()
        // Frames are read and dispatched on a thread of our own; each call runs as a task.
        await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
            let started = HostThread.start("tonehost-wkr-in") {
                var reader = WorkerProtocol.FrameReader(fd: 0)
                _ = reader.run { payload in
                    guard let frame = try? WorkerProtocol.decodeToWorker(payload) else {
                        FileHandle.standardError.write(Data("plugin worker (\(plugin.name)): a malformed frame from the host\n".utf8))
                        exit(65)
                    }
                    dispatch(frame, plugin: plugin, out: out, chats: chats, state: state)
                }
                finished.resume()  // the host closed stdin (or is gone)
            }
            if !started {
                FileHandle.standardError.write(Data("plugin worker (\(plugin.name)): cannot start its reader thread\n".utf8))
                exit(71)
            }
        }
        return 0
    }

    /// Calls in flight and per-answer tone state.
    final class CallState: @unchecked Sendable {
        let calls = Locked<[Int: (handle: Handle, diagnostics: CallDiagnostics)]>([:])
        /// How a call in flight is cancelled.
        enum Handle {
            case task(Task<Void, Never>)
            case context(CallContext)
            func cancel() {
                switch self {
                case .task(let t): t.cancel()
                case .context(let c): c.cancel()
                }
            }
        }
        /// Stream id → its state; `.ended` marks a stream ended before its begin finished.
        let streams = Locked<[Int: StreamSlot]>([:])
        enum StreamSlot { case live(ToneStream?), ended }

        func stream(_ id: Int?) -> ToneStream? {
            guard let id, case .live(let s)? = streams.value[id] else { return nil }
            return s
        }

        func end(_ id: Int) {
            let slot = streams.mutate { map -> StreamSlot? in
                if let slot = map.removeValue(forKey: id) { return slot }
                map[id] = .ended
                return nil
            }
            if case .live(let s)? = slot { s?.end() }
        }
    }

    static func dispatch(_ frame: WorkerProtocol.ToWorker, plugin: PluginInstance, out: Output, chats: ChatRelay, state: CallState) {
        switch frame {
        case .chatText(let id, let text):
            chats.deliver(id, text: text)
        case .chatDone(let id, let status, let error):
            chats.finish(id, status: status, error: error)
        case .endStream(let sid):
            state.end(sid)
        case .cancel(let id):
            guard let call = state.calls.value[id] else { return }
            call.handle.cancel()
            watch(call.diagnostics, plugin: plugin.name)
        case .call(let id, let deadlineMilliseconds, let op):
            let diagnostics = CallDiagnostics()
            let deadline = deadlineMilliseconds.map { Duration.milliseconds($0) }
            if case .tone(let input, let sid, let begin) = op, plugin.isNonblocking,
               startToneHere(input, stream: sid, begin: begin, id: id, deadline: deadline, diagnostics: diagnostics,
                             plugin: plugin, out: out, state: state) {
                return
            }
            let task = Task {
                var streamID: Int?
                if case .tone(let input, let sid?, let begin) = op {
                    streamID = sid
                    // Per-answer tone state, begun with the answer's first segment.
                    if begin {
                        let stream = await plugin.beginToneStream(input)
                        let ended = state.streams.mutate { map -> Bool in
                            if case .ended? = map[sid] { map[sid] = nil; return true }
                            map[sid] = .live(stream)
                            return false
                        }
                        if ended { stream?.end() }
                    }
                }
                let done = await CallDiagnostics.$current.withValue(diagnostics) {
                    await run(plugin, op, id: id, deadline: deadline, out: out, stream: state.stream(streamID))
                }
                out.send(done)
                state.calls.mutate { $0[id] = nil }
                // The answer's final segment ends its stream state.
                if case .tone(let input, let sid?, _) = op, input.isFinal { state.end(sid) }
                // Ended (deadline, cancel) while the plugin's function still runs: watch it.
                if !diagnostics.events.contains(where: { if case .returned = $0.event { return true } else { return false } }) {
                    watch(diagnostics, plugin: plugin.name)
                }
            }
            state.calls.mutate { $0[id] = (.task(task), diagnostics) }
        }
    }

    /// The hot path for tone segments of a TONEHOST_FLAG_NONBLOCKING plugin: begun from this
    /// (reader) thread straight onto the compute pool, no task hops, and the segment's text
    /// sent with its `done` in one write (such a plugin's output arrives within microseconds
    /// anyway). False when the call must take the general path (a `max_concurrency` wait).
    static func startToneHere(_ input: ToneInput, stream sid: Int?, begin: Bool, id: Int, deadline: Duration?,
                              diagnostics: CallDiagnostics, plugin: PluginInstance, out: Output, state: CallState) -> Bool {
        guard plugin.startsWithoutWaiting else { return false }
        if let sid, begin {
            let stream = plugin.beginToneStreamHere(input)  // must not block, by the ABI
            state.streams.mutate { $0[sid] = .live(stream) }
        }
        var input = input
        input.stream = state.stream(sid)
        let texts = Locked<[WorkerProtocol.FromWorker]>([])
        let registered = DispatchSemaphore(value: 0)
        let ctx = plugin.startConvertTone(input, deadline: deadline, diagnostics: diagnostics, onText: { texts.append(.text(id: id, $0)) }) { result in
            registered.wait()  // the call is in `state.calls` before it leaves it
            let done: WorkerProtocol.FromWorker
            switch result {
            case .success: done = .done(id: id, status: TONEHOST_OK, error: "")
            case .failure(let e as PluginCallError): done = .done(id: id, status: e.status, error: e.message)
            case .failure(let e): done = .done(id: id, status: TONEHOST_ERR_INTERNAL, error: "\(e)")
            }
            out.send(texts.value + [done])
            state.calls.mutate { $0[id] = nil }
            if let sid, input.isFinal { state.end(sid) }
            if !diagnostics.events.contains(where: { if case .returned = $0.event { return true } else { return false } }) {
                watch(diagnostics, plugin: plugin.name)
            }
        }
        guard let ctx else { return false }
        state.calls.mutate { $0[id] = (.context(ctx), diagnostics) }
        registered.signal()
        return true
    }

    /// A cancelled call whose plugin function has not returned within this long holds its thread
    /// for good: the worker exits, and the host starts a fresh one.
    static let hangGrace: Duration = .seconds(2)

    static func watch(_ diagnostics: CallDiagnostics, plugin: String) {
        Task.detached {
            try? await Task.sleep(for: hangGrace)
            let returned = diagnostics.events.contains { if case .returned = $0.event { return true } else { return false } }
            guard !returned else { return }
            FileHandle.standardError.write(Data("plugin worker (\(plugin)): a cancelled call is still running after \(hangGrace); exiting so the host starts a fresh worker\n".utf8))
            exit(70)
        }
    }

    /// RLIMIT_AS from `memory_limit_mb`, RLIMIT_CPU from `cpu_limit_seconds`: past them the
    /// kernel ends the worker (allocation failures / SIGXCPU) and the host reports a crash.
    static func applyLimits(_ m: PluginManifest) throws {
        if let mb = m.memoryLimitMegabytes {
            var limit = rlimit(rlim_cur: rlim_t(mb) << 20, rlim_max: rlim_t(mb) << 20)
            guard setrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0 else {
                throw PluginLoadError(file: m.file, reason: "cannot set memory_limit_mb = \(mb): \(String(cString: strerror(errno)))")
            }
        }
        if let seconds = m.cpuLimitSeconds {
            var limit = rlimit(rlim_cur: rlim_t(seconds), rlim_max: rlim_t(seconds) + 1)
            guard setrlimit(Int32(RLIMIT_CPU.rawValue), &limit) == 0 else {
                throw PluginLoadError(file: m.file, reason: "cannot set cpu_limit_seconds = \(seconds): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// One call: its output as frames; returns the `done` frame to send.
    static func run(_ plugin: PluginInstance, _ op: WorkerProtocol.Operation, id: Int, deadline: Duration?, out: Output,
                    stream: ToneStream?) async -> WorkerProtocol.FromWorker {
        let emit: @Sendable (String) -> Void = { out.send(.text(id: id, $0)) }
        do {
            switch op {
            case .tone(var input, _, _):
                input.stream = stream
                try await plugin.convertTone(input, deadline: deadline, onText: emit)
            case .select(let description, let language, let categories):
                emit(try await plugin.selectTone(description: description, language: language, categories: categories, deadline: deadline))
            case .describe(let session, let image):
                emit(try await plugin.describe(sessionID: session, imageBase64: image, deadline: deadline))
            case .retrieve(let query, let language, let topK, let vector):
                for p in try await plugin.retrieve(query: query, language: language, topK: topK, vector: vector, deadline: deadline) {
                    out.send(.passage(id: id, p))
                }
            case .generate(let input):
                try await plugin.generate(input, deadline: deadline, onText: emit)
            }
            return .done(id: id, status: TONEHOST_OK, error: "")
        } catch let e as PluginCallError {
            return .done(id: id, status: e.status, error: e.message)
        } catch {
            return .done(id: id, status: TONEHOST_ERR_INTERNAL, error: "\(error)")
        }
    }

    /// Chats the worker's plugin makes through `tonehost.llm.v1`, relayed to the host and back.
    final class ChatRelay: @unchecked Sendable {
        private let out: Output
        private let streams = Locked<[Int: AsyncThrowingStream<String, Error>.Continuation]>([:])
        private let nextID = Locked(0)

        init(out: Output) { self.out = out }

        func chat(_ input: GenerationInput, deadline: Duration?, onText: @escaping @Sendable (String) -> Void) async throws {
            let id = nextID.mutate { n -> Int in n += 1; return n }
            let (stream, continuation) = AsyncThrowingStream<String, Error>.makeStream()
            streams.mutate { $0[id] = continuation }
            defer { streams.mutate { $0[id] = nil } }
            out.send(.chat(chatID: id, input, deadlineMilliseconds: deadline.map { Int($0 / .milliseconds(1)) }))
            do {
                for try await text in stream { onText(text) }
            } catch is CancellationError {
                out.send(.chatCancel(chatID: id))
                throw CancellationError()
            }
            if Task.isCancelled { out.send(.chatCancel(chatID: id)) }
        }

        func deliver(_ id: Int, text: String) { streams.value[id]?.yield(text) }

        func finish(_ id: Int, status: Int32, error: String) {
            guard let c = streams.value[id] else { return }
            if status == TONEHOST_OK { c.finish() } else { c.finish(throwing: ChatError(message: error.isEmpty ? "chat failed (\(status))" : error)) }
        }

        struct ChatError: Error, CustomStringConvertible { let message: String; var description: String { message } }
    }

    /// Log lines as `.log` frames for the host, which writes them as its own.
    struct FrameLogHandler: LogHandler {
        let out: Output
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            out.send(.log(level: level.rawValue, message: message.description))
        }
    }

    /// stdout, one frame at a time; the host gone means this worker is done.
    final class Output: @unchecked Sendable {
        private let writer = WorkerProtocol.FrameWriter(fd: 1)
        func send(_ frame: WorkerProtocol.FromWorker) {
            if !writer.send(WorkerProtocol.encode(frame)) { exit(0) }
        }

        /// Several frames in one write.
        func send(_ frames: [WorkerProtocol.FromWorker]) {
            var bytes: [UInt8] = []
            for f in frames { bytes += WorkerProtocol.encode(f) }
            if !writer.send(bytes) { exit(0) }
        }
    }
}
