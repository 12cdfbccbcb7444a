import Foundation
import ToneRules
import TonehostPluginKit
import TonehostText

/// A tone converted by the host's LLM service, with this tone's own prompt (TonePrompts).
/// Gets the whole answer (no TONEHOST_FLAG_TONE_STREAMING) and streams the rewrite as the model
/// produces it. When the LLM fails or times out before writing anything, the rule-based tone
/// converts instead (for the four built-in categories; others pass the text through).
/// Config: tone_category (added by the host from the manifest), temperature (default 0.3).
final class LLMTone: AsyncTonePlugin {
    private let host: HostServices
    private let category: String
    private let temperature: Double

    init(host: HostServices, config: PluginConfig) throws {
        self.host = host
        guard let category = try config.string("tone_category"), !category.isEmpty else {
            throw PluginError(.config, "set tone_category in the manifest (e.g. tone_category = \"child_friendly\")")
        }
        self.category = category
        temperature = try config.double("temperature") ?? 0.3
    }

    /// Starts the rewrite and returns at once (no thread waits on the LLM).
    func convert(_ request: ToneRequest, sink: CallSink, completion: @escaping (Result<Void, PluginError>) -> Void) {
        if request.text.trimmingWhitespace().isEmpty { return completion(.success(())) }
        let messages = [
            ChatMessage(role: "system", content: TonePrompts.system(category: category, language: request.language,
                                                                    firstMessage: request.firstMessage, description: request.userDescription)),
            ChatMessage(role: "user", content: TonePrompts.user(answer: request.text, question: request.userMessage,
                                                                description: request.userDescription)),
        ]
        let wrote = Locked(false)  // set from the host thread that delivers the text
        host.startChat(purpose: "tone", messages: messages, temperature: temperature, sink: sink, onText: { text in
            if (try? sink.emit(text)) != nil, !text.isEmpty { wrote.mutate { $0 = true } }
        }) { [host] error in
            guard let error else { return completion(.success(())) }
            guard error.code != .cancelled, !wrote.value else { return completion(.failure(error)) }
            host.log(.warning, "LLM tone conversion failed, using the rules: \(error.message)")
            completion(Result { try sink.emit(self.fallback(request)) }.mapError { $0 as? PluginError ?? PluginError(.internalError, "\($0)") })
        }
    }

    private func fallback(_ request: ToneRequest) -> String {
        guard let rules = ToneCategory(rawValue: category) else { return request.text }
        let context = ToneContext(userDescription: request.userDescription, userMessage: request.userMessage,
                                  language: Language(tag: request.language) ?? .english, firstMessage: request.firstMessage,
                                  sessionID: request.sessionID)
        return ToneRewriter.convert(request.text, index: 0, isFinal: true, category: rules, context: context)
    }
}

private let export = PluginExport.asyncTone(
    id: "tonehost.tone.llm", version: "1.0", category: "casual_friendly",
    description: "A tone rewritten by the host's LLM with its own prompt (falls back to the rules)", streaming: false) { host, config in
    try LLMTone(host: host, config: config)
}

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
