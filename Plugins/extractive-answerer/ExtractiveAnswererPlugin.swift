import ExtractiveAnswer
import TonehostPluginKit
import TonehostText

/// An `llm` that needs no model: composes the answer from the retrieved passages' best
/// sentences (ExtractiveAnswer), streamed sentence by sentence.
final class ExtractiveAnswererLLM: LLMPlugin {
    private let host: HostServices

    init(host: HostServices) { self.host = host }

    func generate(_ request: LLMRequest, sink: CallSink) throws {
        let language = Language(tag: request.language) ?? LanguageDetector.answerLanguage(for: request.question)
        let passages = request.passages.map {
            SourcePassage(title: $0.title, content: $0.content, language: Language(tag: $0.language), score: $0.score)
        }
        // Streamed sentence by sentence so tone conversion can start at once.
        for chunk in ExtractiveAnswerer.answerChunks(question: request.question, language: language, passages: passages) {
            try sink.emit(chunk)
        }
    }

    func warmup(sink: CallSink) throws -> String { "extractive answerer needs no model" }
}

private let export = PluginExport.llm(
    id: "tonehost.llm.extractive", version: "1.0",
    description: "Model-free answers composed from the retrieved passages", nonblocking: true) { host, _ in
    ExtractiveAnswererLLM(host: host)
}

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
