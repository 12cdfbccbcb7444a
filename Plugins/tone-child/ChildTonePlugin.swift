import ToneRules
import TonehostPluginKit
import TonehostText

/// The child_friendly tone: deterministic rules (ToneRules), sentence by sentence.
final class ChildTone: TonePlugin {
    func convert(_ request: ToneRequest, sink: CallSink) throws {
        let context = ToneContext(userDescription: request.userDescription, userMessage: request.userMessage,
                                  language: Language(tag: request.language) ?? .english,
                                  firstMessage: request.firstMessage, sessionID: request.sessionID)
        try sink.emit(ToneRewriter.convert(request.text, index: request.segmentIndex, isFinal: request.isFinal,
                                           category: .child, context: context))
    }
}

private let export = PluginExport.tone(
    id: "tonehost.tone.child", version: "1.0", category: ToneCategory.child.rawValue,
    description: "child_friendly tone by rules (English + 繁體中文)", streaming: true, nonblocking: true) { _, _ in
    ChildTone()
}

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
