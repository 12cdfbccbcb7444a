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
/// Config: tone_category (added by the host from the manifest), temperature (default 0.3).
final class LLMTone: TonePlugin {
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

    func convert(_ request: ToneRequest, sink: CallSink) throws {
        let answer = request.stream as? Answer ?? Answer()
        let text = request.text.trimmingWhitespace()
        answer.lock.lock()
        let earlier = answer.earlier
        let previous = answer.lastSent
        answer.lock.unlock()

        var out: String
        if text.isEmpty {
            guard request.isFinal else { return }
            out = try closing(request, earlier: earlier, sink: sink)
        } else {
            out = try rewrite(text, request, earlier: earlier, sink: sink)
        }
        out = out.trimmingWhitespace()
        if out.isEmpty { return }
        if let previous, needsSpace(after: previous, before: out.first!) { out = " " + out }
        answer.lock.lock()
        if !text.isEmpty { answer.earlier.append(text) }
        answer.lastSent = out.last
        answer.lock.unlock()
        try sink.emit(out)
    }

    /// One sentence rewritten by the model, or by the rules when the model fails or drops a fact.
    private func rewrite(_ sentence: String, _ request: ToneRequest, earlier: [String], sink: CallSink) throws -> String {
        let messages = [
            ChatMessage(role: "system", content: TonePrompts.system(category: category, language: request.language,
                                                                    firstMessage: request.firstMessage, description: request.userDescription,
                                                                    position: .sentence(index: request.segmentIndex, last: request.isFinal))),
            ChatMessage(role: "user", content: TonePrompts.user(answer: sentence, earlier: earlier, question: request.userMessage,
                                                                description: request.userDescription)),
        ]
        do {
            let toned = try generate(messages, sink: sink)
            let lost = ToneFacts.missing(original: sentence, rewritten: toned)
            if !toned.isEmpty && lost.isEmpty { return toned }
            host.log(.warning, toned.isEmpty ? "LLM tone gave an empty rewrite; using the rules for this sentence"
                                             : "LLM tone dropped \(lost.joined(separator: ", ")); using the rules for this sentence")
        } catch let error as PluginError where error.code != .cancelled {
            host.log(.warning, "LLM tone conversion failed, using the rules: \(error.message)")
        }
        return rules(sentence, request)
    }

    /// The tone's closing line, from the model (the rules' when it fails).
    private func closing(_ request: ToneRequest, earlier: [String], sink: CallSink) throws -> String {
        guard category != "professional_friendly", !earlier.isEmpty else { return rules("", request) }
        let messages = [
            ChatMessage(role: "system", content: TonePrompts.system(category: category, language: request.language,
                                                                    firstMessage: request.firstMessage, description: request.userDescription,
                                                                    position: .closing)),
            ChatMessage(role: "user", content: TonePrompts.user(answer: nil, earlier: earlier, question: request.userMessage,
                                                                description: request.userDescription)),
        ]
        do {
            let line = try generate(messages, sink: sink)
            // A closing adds no facts: anything with a number or name is not a closing.
            if !line.isEmpty && ToneFacts.of(line).isEmpty { return line }
        } catch let error as PluginError where error.code != .cancelled {
            host.log(.warning, "LLM tone closing failed, using the rules: \(error.message)")
        }
        return rules("", request)
    }

    private func generate(_ messages: [ChatMessage], sink: CallSink) throws -> String {
        var text = ""
        try host.chat(purpose: "tone", messages: messages, temperature: temperature, sink: sink) { text += $0 }
        return text.trimmingWhitespace()
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

private let export = PluginExport.tone(
    id: "tonehost.tone.llm", version: "2.0", category: "casual_friendly",
    description: "A tone rewritten sentence by sentence by the host's LLM with its own prompt (facts checked; rules on failure)",
    streaming: true) { host, config in
    try LLMTone(host: host, config: config)
}

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
