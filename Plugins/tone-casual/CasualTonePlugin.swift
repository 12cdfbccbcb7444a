import ToneRules
import TonehostPluginKit
import TonehostText

/// The casual_friendly tone: deterministic rules (ToneRules), sentence by sentence.
final class CasualTone: TonePlugin {
    func convert(_ request: ToneRequest, sink: CallSink) throws {
        let context = ToneContext(userDescription: request.userDescription, userMessage: request.userMessage,
                                  language: Language(tag: request.language) ?? .english,
                                  firstMessage: request.firstMessage, sessionID: request.sessionID)
        try sink.emit(ToneRewriter.convert(request.text, index: request.segmentIndex, isFinal: request.isFinal,
                                           category: .casual, context: context))
    }
}

private let export = PluginExport.tone(
    id: "tonehost.tone.casual", version: "1.0", category: ToneCategory.casual.rawValue,
    description: "casual_friendly tone by rules (English + 繁體中文)", streaming: true, nonblocking: true) { _, _ in
    CasualTone()
}

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
