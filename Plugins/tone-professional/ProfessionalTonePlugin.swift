import ToneRules
import TonehostPluginKit
import TonehostText

/// The professional_friendly tone: deterministic rules (ToneRules), sentence by sentence.
final class ProfessionalTone: TonePlugin {
    func convert(_ request: ToneRequest, sink: CallSink) throws {
        let context = ToneContext(userDescription: request.userDescription, userMessage: request.userMessage,
                                  language: Language(tag: request.language) ?? .english,
                                  firstMessage: request.firstMessage, sessionID: request.sessionID)
        try sink.emit(ToneRewriter.convert(request.text, index: request.segmentIndex, isFinal: request.isFinal,
                                           category: .professional, context: context))
    }
}

private let export = PluginExport.tone(
    id: "tonehost.tone.professional", version: "1.0", category: ToneCategory.professional.rawValue,
    description: "professional_friendly tone by rules (English + 繁體中文)", streaming: true, nonblocking: true) { _, _ in
    ProfessionalTone()
}

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
