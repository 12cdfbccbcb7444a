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
            out.send(["fatal": (error as? PluginLoadError)?.reason ?? "\(error)"])
            return 2
        }
        var ready: [String: Any] = ["id": plugin.pluginID, "version": plugin.pluginVersion, "description": plugin.pluginDescription,
                                    "flags": Int(plugin.descriptor.pointee.flags)]
        if let c = plugin.toneCategory { ready["tone_category"] = c }
        ready["tone_streams"] = plugin.hasToneStreams
        out.send(["ready": ready])

        // The plugin's `tonehost.llm.v1` chats go to the host, which runs its bound LLM.
        let chats = ChatRelay(out: out)
        plugin.hostAPI.chatForwarder = { input, deadline, onText in try await chats.chat(input, deadline: deadline, onText: onText) }
        let calls = Locked<[Int: (task: Task<Void, Never>, diagnostics: CallDiagnostics)]>([:])
        let streams = Locked<[Int: ToneStream?]>([:])
        let lines = AsyncStream<Data> { continuation in
            let thread = Thread {
                var reader = WorkerProtocol.LineReader()
                while true {
                    let data = FileHandle.standardInput.availableData
                    if data.isEmpty { break }
                    for line in reader.push(data) { continuation.yield(line) }
                }
                continuation.finish()
            }
            thread.start()
        }
        for await line in lines {
            guard let request = WorkerProtocol.decode(line) else { continue }
            if let chatID = request["chat_id"] as? Int {
                chats.deliver(chatID, request)
                continue
            }
            guard let id = request["id"] as? Int, let op = request["op"] as? String else { continue }
            // Per-answer tone state, begun and ended in order with the answer's segments.
            if op == "tone", request["begin_stream"] as? Bool == true, let sid = request["stream"] as? Int {
                let stream = await plugin.beginToneStream(toneInput(request, streams: [:]))
                streams.mutate { $0[sid] = stream }
            }
            if op == "end", let sid = request["stream"] as? Int {
                streams.mutate { $0.removeValue(forKey: sid)??.end() }
                continue
            }
            if op == "cancel" {
                guard let call = calls.value[id] else { continue }
                call.task.cancel()
                watch(call.diagnostics, plugin: plugin.name)
                continue
            }
            let diagnostics = CallDiagnostics()
            let task = Task {
                let current = streams.value
                let status = await CallDiagnostics.$current.withValue(diagnostics) {
                    await run(plugin, op: op, request, id: id, out: out, streams: current)
                }
                out.send(status)
                calls.mutate { $0[id] = nil }
                // The answer's final segment ends its stream state.
                if op == "tone", request["is_final"] as? Bool == true, let sid = request["stream"] as? Int {
                    streams.mutate { $0.removeValue(forKey: sid)??.end() }
                }
                // Ended (deadline, cancel) while the plugin's function still runs: watch it.
                if !diagnostics.events.contains(where: { if case .returned = $0.event { return true } else { return false } }) {
                    watch(diagnostics, plugin: plugin.name)
                }
            }
            calls.mutate { $0[id] = (task, diagnostics) }
        }
        return 0  // the host closed stdin
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

    /// One call: frames for its output, and the final `done` frame to send.
    static func toneInput(_ r: [String: Any], streams: [Int: ToneStream?]) -> ToneInput {
        func s(_ k: String) -> String { r[k] as? String ?? "" }
        return ToneInput(text: s("text"), userDescription: s("user_description"), userMessage: s("user_msg"),
                         language: s("language"), firstMessage: r["first_message"] as? Bool ?? false,
                         segmentIndex: r["segment_index"] as? Int ?? 0, isFinal: r["is_final"] as? Bool ?? true,
                         sessionID: s("session_id"), stream: (r["stream"] as? Int).flatMap { streams[$0] } ?? nil)
    }

    static func run(_ plugin: PluginInstance, op: String, _ r: [String: Any], id: Int, out: Output,
                    streams: [Int: ToneStream?] = [:]) async -> [String: Any] {
        func s(_ k: String) -> String { r[k] as? String ?? "" }
        let deadline = (r["deadline_ms"] as? Int).map { Duration.milliseconds($0) }
        let emit: @Sendable (String) -> Void = { out.send(["id": id, "text": $0]) }
        do {
            switch op {
            case "tone":
                try await plugin.convertTone(toneInput(r, streams: streams), deadline: deadline, onText: emit)
            case "select":
                emit(try await plugin.selectTone(description: s("description"), language: s("language"),
                                                 categories: r["categories"] as? [String] ?? [], deadline: deadline))
            case "describe":
                emit(try await plugin.describe(sessionID: s("session_id"), imageBase64: s("image"), deadline: deadline))
            case "retrieve":
                for p in try await plugin.retrieve(query: s("query"), language: s("language"), topK: r["top_k"] as? Int ?? 6, deadline: deadline) {
                    out.send(["id": id, "passage": ["id": p.id, "title": p.title, "content": p.content, "source": p.source,
                                                    "language": p.language, "score": p.score]])
                }
            case "generate":
                let messages = (r["messages"] as? [[String: String]] ?? []).map { ChatMessage(role: $0["role"] ?? "user", content: $0["content"] ?? "") }
                let passages = (r["passages"] as? [[String: Any]] ?? []).map {
                    RetrievedPassage(id: $0["id"] as? String ?? "", title: $0["title"] as? String ?? "", content: $0["content"] as? String ?? "",
                                     source: $0["source"] as? String ?? "", language: $0["language"] as? String ?? "", score: $0["score"] as? Double ?? 0)
                }
                let temperature = r["temperature"] as? Double ?? -1
                let maxTokens = r["max_tokens"] as? Int ?? 0
                try await plugin.generate(GenerationInput(purpose: s("purpose"), messages: messages, question: s("question"), language: s("language"),
                                                          passages: passages, temperature: temperature < 0 ? nil : temperature,
                                                          maxTokens: maxTokens > 0 ? maxTokens : nil), deadline: deadline, onText: emit)
            default:
                return ["id": id, "done": Int(TONEHOST_ERR_INVALID_ARGUMENT), "error": "unknown operation \(op)"]
            }
            return ["id": id, "done": Int(TONEHOST_OK)]
        } catch let e as PluginCallError {
            return ["id": id, "done": Int(e.status), "error": e.message]
        } catch {
            return ["id": id, "done": Int(TONEHOST_ERR_INTERNAL), "error": "\(error)"]
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
            var chat: [String: Any] = ["purpose": input.purpose, "messages": input.messages.map { ["role": $0.role, "content": $0.content] },
                                       "temperature": input.temperature ?? -1]
            if let deadline { chat["deadline_ms"] = Int(deadline / .milliseconds(1)) }
            out.send(["chat_id": id, "chat": chat])
            do {
                for try await text in stream { onText(text) }
            } catch is CancellationError {
                out.send(["chat_id": id, "cancel": true])
                throw CancellationError()
            }
            if Task.isCancelled { out.send(["chat_id": id, "cancel": true]) }
        }

        /// A frame from the host for chat `id`: text, or the end.
        func deliver(_ id: Int, _ frame: [String: Any]) {
            guard let c = streams.value[id] else { return }
            if let text = frame["text"] as? String { c.yield(text) }
            if let done = frame["done"] as? Int {
                if done == Int(TONEHOST_OK) { c.finish() } else { c.finish(throwing: ChatError(message: frame["error"] as? String ?? "chat failed (\(done))")) }
            }
        }

        struct ChatError: Error, CustomStringConvertible { let message: String; var description: String { message } }
    }

    /// Log lines as `{"log":{"level","message"}}` frames for the host.
    struct FrameLogHandler: LogHandler {
        let out: Output
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            out.send(["log": ["level": level.rawValue, "message": message.description]])
        }
    }

    /// stdout, one frame at a time.
    final class Output: @unchecked Sendable {
        private let lock = NSLock()
        func send(_ frame: [String: Any]) {
            let data = WorkerProtocol.encode(frame)
            lock.lock()
            defer { lock.unlock() }
            data.withUnsafeBytes { buf in
                var off = 0
                while off < buf.count {
                    let n = Glibc.write(1, buf.baseAddress! + off, buf.count - off)
                    if n <= 0 { if errno == EINTR { continue } else { exit(0) } }  // the host is gone
                    off += n
                }
            }
        }
    }
}
