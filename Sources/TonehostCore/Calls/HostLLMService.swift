import CTonehostABI
import Foundation

/// TONEHOST_HOST_EXT_LLM: chats a plugin makes from inside one of its operations, run on the
/// bound llm plugin through the normal call path, its text forwarded to the plugin's callback.
/// `chat` blocks the calling thread (a host plugin thread, which exists to be blocked);
/// `chat_start` returns at once and reports the end through `on_done`, so a NONBLOCKING
/// operation holds no thread while the LLM works.
enum HostLLMService {
    static let table: UnsafePointer<tonehost_host_llm> = {
        let p = UnsafeMutablePointer<tonehost_host_llm>.allocate(capacity: 1)
        p.initialize(to: tonehost_host_llm(struct_size: UInt32(MemoryLayout<tonehost_host_llm>.size), chat: chat, chat_start: chatStart))
        return UnsafePointer(p)
    }()

    /// Forwards text to the plugin only until the chat is reported finished.
    private final class Forwarder: @unchecked Sendable {
        private let lock = NSLock()
        private var open = true
        let onText: tonehost_text_fn?
        let context: UnsafeMutableRawPointer?
        init(onText: tonehost_text_fn?, context: UnsafeMutableRawPointer?) { self.onText = onText; self.context = context }
        func send(_ text: String) {
            lock.lock()
            defer { lock.unlock() }
            guard open, let onText else { return }
            var t = text
            t.withUTF8 { buf in buf.withMemoryRebound(to: CChar.self) { onText(context, $0.baseAddress, $0.count) } }
        }
        func close() { lock.lock(); open = false; lock.unlock() }
    }

    /// One chat, ready to run: what runs it, on what input, within what, for which plugin call.
    private struct Chat {
        let run: HostAPI.ChatForwarder
        let input: GenerationInput
        let deadline: Duration?
        let parent: CallContext?

        /// Runs the chat; nil on success, else the error.
        func perform(_ forwarder: Forwarder) async -> Error? {
            do {
                try await run(input, deadline) { forwarder.send($0) }
                return nil
            } catch {
                return error
            }
        }
    }

    /// Reads the C arguments; a status and reason when the chat cannot run at all.
    private static func prepare(_ api: UnsafePointer<tonehost_host_api>?, _ call: OpaquePointer?, _ purpose: UnsafePointer<CChar>?,
                                _ messages: UnsafePointer<tonehost_message>?, _ count: Int, _ temperature: Double) -> Result<Chat, ChatStartFailure> {
        guard let api, let data = api.pointee.host_data else { return .failure(ChatStartFailure(TONEHOST_ERR_INVALID_ARGUMENT, "no host")) }
        let host = Unmanaged<HostAPI>.fromOpaque(data).takeUnretainedValue()
        let run: HostAPI.ChatForwarder
        if let llm = host.serviceLLM {
            run = { input, deadline, onText in try await llm.generate(input, deadline: deadline, onText: onText) }
        } else if let forward = host.chatForwarder {
            run = forward  // an isolated plugin: the host process runs the chat
        } else {
            return .failure(ChatStartFailure(TONEHOST_ERR_UNAVAILABLE, "no LLM is configured for plugins"))
        }
        let parent = call.map { Unmanaged<CallContext>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
        var list: [ChatMessage] = []
        if let messages {
            for i in 0..<count {
                list.append(ChatMessage(role: messages[i].role.map { String(cString: $0) } ?? "user",
                                        content: messages[i].content.map { String(cString: $0) } ?? ""))
            }
        }
        let input = GenerationInput(purpose: purpose.map { String(cString: $0) } ?? "plugin", messages: list,
                                    question: list.last { $0.role == "user" }?.content ?? "", language: "", passages: [],
                                    temperature: temperature < 0 ? nil : temperature)
        let remaining = parent?.remainingMilliseconds ?? UInt64.max
        let deadline: Duration? = remaining == UInt64.max ? nil : .milliseconds(Int64(remaining))
        return .success(Chat(run: run, input: input, deadline: deadline, parent: parent))
    }

    private struct ChatStartFailure: Error {
        let status: tonehost_status
        let message: String
        init(_ status: tonehost_status, _ message: String) { self.status = status; self.message = message }
    }

    private static let chat: @convention(c) (UnsafePointer<tonehost_host_api>?, OpaquePointer?, UnsafePointer<CChar>?,
                                             UnsafePointer<tonehost_message>?, Int, Double, tonehost_text_fn?,
                                             UnsafeMutableRawPointer?, UnsafeMutablePointer<CChar>?, Int) -> tonehost_status = {
        api, call, purpose, messages, count, temperature, onText, context, errorBuf, errorSize in
        // A NONBLOCKING operation runs on a thread of Swift's cooperative pool, which this chat
        // itself needs: waiting here could stall the server. The ABI says such operations use
        // chat_start; refuse at once instead.
        if let call, Unmanaged<CallContext>.fromOpaque(UnsafeRawPointer(call)).takeUnretainedValue().runsInline {
            CErrorBuffer.write("chat blocks the calling thread; a TONEHOST_FLAG_NONBLOCKING operation must use chat_start",
                               into: errorBuf, size: errorSize)
            return TONEHOST_ERR_INVALID_ARGUMENT
        }
        let chat: Chat
        switch prepare(api, call, purpose, messages, count, temperature) {
        case .success(let c): chat = c
        case .failure(let f):
            CErrorBuffer.write(f.message, into: errorBuf, size: errorSize)
            return f.status
        }
        let forwarder = Forwarder(onText: onText, context: context)
        let outcome = Locked<Error?>(nil)
        let done = DispatchSemaphore(value: 0)
        let task = Task {
            let error = await chat.perform(forwarder)
            outcome.mutate { $0 = error }
            done.signal()
        }
        // Follow the plugin's own call: when it is cancelled, so is this chat.
        while done.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
            if chat.parent?.isCancelled == true { task.cancel() }
        }
        forwarder.close()
        if let error = outcome.value {
            CErrorBuffer.write("\(error)", into: errorBuf, size: errorSize)
            return PluginCallError.serviceStatus(error)
        }
        return TONEHOST_OK
    }

    private static let chatStart: @convention(c) (UnsafePointer<tonehost_host_api>?, OpaquePointer?, UnsafePointer<CChar>?,
                                                  UnsafePointer<tonehost_message>?, Int, Double, tonehost_text_fn?,
                                                  tonehost_chat_done_fn?, UnsafeMutableRawPointer?) -> tonehost_status = {
        api, call, purpose, messages, count, temperature, onText, onDone, context in
        guard let onDone else { return TONEHOST_ERR_INVALID_ARGUMENT }
        let chat: Chat
        switch prepare(api, call, purpose, messages, count, temperature) {
        case .success(let c): chat = c
        case .failure(let f): return f.status
        }
        let forwarder = Forwarder(onText: onText, context: context)
        let contextBits = UInt(bitPattern: context)
        let task = Task {
            let error = await chat.perform(forwarder)
            forwarder.close()
            let context = UnsafeMutableRawPointer(bitPattern: contextBits)
            if let error {
                "\(error)".withCString { onDone(context, PluginCallError.serviceStatus(error), $0) }
            } else {
                onDone(context, TONEHOST_OK, nil)
            }
        }
        // Follow the plugin's own call: when it ends or is cancelled, so does this chat.
        chat.parent?.onEnd { task.cancel() }
        return TONEHOST_OK
    }
}
