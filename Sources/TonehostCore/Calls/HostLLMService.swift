import CTonehostABI
import Foundation

/// TONEHOST_HOST_EXT_LLM: a blocking chat call a plugin makes from inside one of its
/// operations (so from a host plugin thread, which exists to be blocked). It runs the bound llm
/// plugin through the normal call path and forwards its text to the plugin's callback.
enum HostLLMService {
    static let table: UnsafePointer<tonehost_host_llm> = {
        let p = UnsafeMutablePointer<tonehost_host_llm>.allocate(capacity: 1)
        p.initialize(to: tonehost_host_llm(struct_size: UInt32(MemoryLayout<tonehost_host_llm>.size), chat: chat))
        return UnsafePointer(p)
    }()

    /// Forwards text to the plugin only while `chat` has not returned.
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

    private final class Outcome: @unchecked Sendable {
        var error: Error?
    }

    private static let chat: @convention(c) (UnsafePointer<tonehost_host_api>?, OpaquePointer?, UnsafePointer<CChar>?,
                                             UnsafePointer<tonehost_message>?, Int, Double, tonehost_text_fn?,
                                             UnsafeMutableRawPointer?, UnsafeMutablePointer<CChar>?, Int) -> tonehost_status = {
        api, call, purpose, messages, count, temperature, onText, context, errorBuf, errorSize in
        func fail(_ status: tonehost_status, _ message: String) -> tonehost_status {
            CErrorBuffer.write(message, into: errorBuf, size: errorSize)
            return status
        }
        guard let api, let data = api.pointee.host_data else { return fail(TONEHOST_ERR_INVALID_ARGUMENT, "no host") }
        let host = Unmanaged<HostAPI>.fromOpaque(data).takeUnretainedValue()
        let run: HostAPI.ChatForwarder
        if let llm = host.serviceLLM {
            run = { input, deadline, onText in try await llm.generate(input, deadline: deadline, onText: onText) }
        } else if let forward = host.chatForwarder {
            run = forward  // an isolated plugin: the host process runs the chat
        } else {
            return fail(TONEHOST_ERR_UNAVAILABLE, "no LLM is configured for plugins")
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
        let forwarder = Forwarder(onText: onText, context: context)
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let task = Task {
            do {
                try await run(input, deadline) { forwarder.send($0) }
            } catch {
                outcome.error = error
            }
            done.signal()
        }
        // Follow the plugin's own call: when it is cancelled, so is this chat.
        while done.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
            if parent?.isCancelled == true { task.cancel() }
        }
        forwarder.close()
        if let error = outcome.error {
            return fail(PluginCallError.serviceStatus(error), "\(error)")
        }
        return TONEHOST_OK
    }
}
