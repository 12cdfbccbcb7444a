import Foundation
import ToneRules
import TonehostPluginKit
import TonehostText

/// A tone converted by the host's LLM service, with this tone's own prompt (TonePrompts),
/// sentence by sentence while the answer streams: the host hands over each sentence as soon as
/// the answerer finished it (TONEHOST_FLAG_TONE_STREAMING), so the first toned sentence goes out
/// after one short model call instead of after the whole answer and its whole rewrite.
///
/// Each rewrite is checked before it is sent: every number and name of the sentence
/// (``ToneFacts``) must still be in it. A rewrite that lost one, or an LLM that fails or times
/// out, gives way to the rule-based tone for that sentence (the four built-in categories;
/// other categories send the sentence as it is). The last call asks the model for the
/// tone's closing line only (none for professional_friendly).
/// Every model call is started with `startChat` (NONBLOCKING): no thread waits on the LLM.
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

    /// What one answer's segments share: the sentences so far (context for the model), the rule
    /// tone's memory (for fallbacks) and the last character sent (for the space between segments).
    final class Answer: @unchecked Sendable {
        let lock = NSLock()
        var earlier: [String] = []
        var lastSent: Character?
        let memory = AnswerMemory()
    }

    func beginAnswer(_ first: ToneRequest) -> AnyObject? { Answer() }

    /// Starts the sentence's rewrite and returns at once (no thread waits on the LLM).
    func convert(_ request: ToneRequest, sink: CallSink, completion: @escaping (Result<Void, PluginError>) -> Void) {
        let answer = request.stream as? Answer ?? Answer()
        let text = request.text.trimmingWhitespace()
        answer.lock.lock()
        let earlier = answer.earlier
        let previous = answer.lastSent
        answer.lock.unlock()

        let send: (Result<String, PluginError>) -> Void = { [self] result in
            guard case .success(let produced) = result else { return completion(result.map { _ in () }) }
            var out = produced.trimmingWhitespace()
            if out.isEmpty { return completion(.success(())) }
            if let previous, needsSpace(after: previous, before: out.first!) { out = " " + out }
            answer.lock.lock()
            if !text.isEmpty { answer.earlier.append(text) }
            answer.lastSent = out.last
            answer.lock.unlock()
            completion(Result { try sink.emit(out) }.mapError { $0 as? PluginError ?? PluginError(.internalError, "\($0)") })
        }
        if text.isEmpty {
            guard request.isFinal else { return completion(.success(())) }
            closing(request, earlier: earlier, sink: sink, done: send)
        } else {
            rewrite(text, request, earlier: earlier, sink: sink, done: send)
        }
    }

    /// One sentence rewritten by the model, or by the rules when the model fails or drops a fact.
    private func rewrite(_ sentence: String, _ request: ToneRequest, earlier: [String], sink: CallSink,
                         done: @escaping (Result<String, PluginError>) -> Void) {
        let messages = [
            ChatMessage(role: "system", content: TonePrompts.system(category: category, language: request.language,
                                                                    firstMessage: request.firstMessage, description: request.userDescription,
                                                                    position: .sentence(index: request.segmentIndex, last: request.isFinal))),
            ChatMessage(role: "user", content: TonePrompts.user(answer: sentence, earlier: earlier, question: request.userMessage,
                                                                description: request.userDescription)),
        ]
        generate(messages, sink: sink) { [self] result in
            switch result {
            case .success(let toned):
                let lost = ToneFacts.missing(original: sentence, rewritten: toned)
                if !toned.isEmpty && lost.isEmpty { return done(.success(toned)) }
                host.log(.warning, toned.isEmpty ? "LLM tone gave an empty rewrite; using the rules for this sentence"
                                                 : "LLM tone dropped \(lost.joined(separator: ", ")); using the rules for this sentence")
            case .failure(let error) where error.code == .cancelled:
                return done(.failure(error))
            case .failure(let error):
                host.log(.warning, "LLM tone conversion failed, using the rules: \(error.message)")
            }
            done(.success(rules(sentence, request)))
        }
    }

    /// The tone's closing line, from the model (the rules' when it fails).
    private func closing(_ request: ToneRequest, earlier: [String], sink: CallSink, done: @escaping (Result<String, PluginError>) -> Void) {
        guard category != "professional_friendly", !earlier.isEmpty else { return done(.success(rules("", request))) }
        let messages = [
            ChatMessage(role: "system", content: TonePrompts.system(category: category, language: request.language,
                                                                    firstMessage: request.firstMessage, description: request.userDescription,
                                                                    position: .closing)),
            ChatMessage(role: "user", content: TonePrompts.user(answer: nil, earlier: earlier, question: request.userMessage,
                                                                description: request.userDescription)),
        ]
        generate(messages, sink: sink) { [self] result in
            switch result {
            case .success(let line):
                // A closing adds no facts: anything with a number or name is not a closing.
                if !line.isEmpty && ToneFacts.of(line).isEmpty { return done(.success(line)) }
            case .failure(let error) where error.code == .cancelled:
                return done(.failure(error))
            case .failure(let error):
                host.log(.warning, "LLM tone closing failed, using the rules: \(error.message)")
            }
            done(.success(rules("", request)))
        }
    }

    /// One chat on the host's LLM service, started without holding a thread (`startChat`).
    private func generate(_ messages: [ChatMessage], sink: CallSink, done: @escaping (Result<String, PluginError>) -> Void) {
        let text = Locked("")  // text may arrive on any host thread
        host.startChat(purpose: "tone", messages: messages, temperature: temperature, sink: sink, onText: { text.append($0) }) { error in
            if let error { return done(.failure(error)) }
            done(.success(text.value.trimmingWhitespace()))
        }
    }

    private func rules(_ text: String, _ request: ToneRequest) -> String {
        guard let rules = ToneCategory(rawValue: category) else { return text }
        let context = ToneContext(userDescription: request.userDescription, userMessage: request.userMessage,
                                  language: Language(tag: request.language) ?? .english, firstMessage: request.firstMessage,
                                  sessionID: request.sessionID)
        let memory = (request.stream as? Answer)?.memory
        return ToneRewriter.convert(text, index: request.segmentIndex, isFinal: request.isFinal, category: rules, context: context, memory: memory)
    }

    /// A space between English sentences, and after English punctuation before Chinese; none after Chinese.
    private func needsSpace(after previous: Character, before first: Character) -> Bool {
        func cjk(_ c: Character) -> Bool { c.unicodeScalars.first.map { LanguageDetector.isCJK($0) || (0x3000...0x303F).contains($0.value) || (0xFF00...0xFFEF).contains($0.value) } ?? false }
        if cjk(previous) || previous.isWhitespace || first.isWhitespace { return false }
        return !cjk(first) || ".!?:;".contains(previous)
    }
}

private let export = PluginExport.asyncTone(
    id: "tonehost.tone.llm", version: "2.0", category: "casual_friendly",
    description: "A tone rewritten sentence by sentence by the host's LLM with its own prompt (facts checked; rules on failure)",
    streaming: true) { host, config in
    try LLMTone(host: host, config: config)
}

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
