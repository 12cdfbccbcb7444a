import ToneRules
import TonehostPluginKit
import TonehostText

/// A built-in tone by deterministic rules (ToneRules), converting sentence by sentence. Each
/// of the four bundled tone libraries exports one of these for its category.
public final class RuleTone: TonePlugin {
    let category: ToneCategory

    public init(_ category: ToneCategory) { self.category = category }

    public func convert(_ request: ToneRequest, sink: CallSink) throws {
        let context = ToneContext(userDescription: request.userDescription, userMessage: request.userMessage,
                                  language: Language(tag: request.language) ?? .english,
                                  firstMessage: request.firstMessage, sessionID: request.sessionID)
        try sink.emit(ToneRewriter.convert(request.text, index: request.segmentIndex, isFinal: request.isFinal,
                                           category: category, context: context, memory: request.stream as? AnswerMemory))
    }

    /// One AnswerMemory per answer (the ABI's tone_stream_begin).
    public func beginAnswer(_ first: ToneRequest) -> AnyObject? { AnswerMemory() }

    /// The plugin descriptor for `category`.
    public static func export(_ category: ToneCategory) -> PluginExport {
        let short = category.rawValue.replacingOccurrences(of: "_friendly", with: "")
        return PluginExport.tone(id: "tonehost.tone.\(short)", version: "1.0", category: category.rawValue,
                                 description: "\(category.rawValue) tone by rules (English + 繁體中文)",
                                 streaming: true, nonblocking: true) { _, _ in RuleTone(category) }
    }
}
