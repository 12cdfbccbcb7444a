import Logging
import TonehostText

/// Feeds segments to a tone plugin in order and streams its output; a failed conversion falls
/// back to the original segment so no content is lost.
struct ToneStreamConverter: Sendable {
    let tone: PluginInstance
    let request: PipelineRequest
    let language: Language
    let decision: ToneDecision
    let deadline: Duration?
    let logger: Logger
    let out: PipelineOutput
    let failures: PluginFailureLog
    private let index = Locked(0)
    /// The answer's per-answer plugin state, begun with its first segment (plugins with
    /// tone_stream_begin); `end()` when the answer is done.
    private let stream = Locked<ToneStream?>(nil)
    private let begun = Locked(false)

    init(tone: PluginInstance, request: PipelineRequest, language: Language, decision: ToneDecision, deadline: Duration?,
         logger: Logger, out: PipelineOutput, failures: PluginFailureLog = PluginFailureLog()) {
        self.tone = tone; self.request = request; self.language = language; self.decision = decision
        self.deadline = deadline; self.logger = logger; self.out = out; self.failures = failures
    }

    func convert(_ segment: String, isFinal: Bool) async {
        if segment.isEmpty && !isFinal { return }
        let i = index.mutate { n -> Int in defer { n += 1 }; return n }
        var input = ToneInput(text: segment, userDescription: decision.userDescription, userMessage: request.question,
                              language: language.rawValue, firstMessage: request.isFirstMessage, segmentIndex: i,
                              isFinal: isFinal, sessionID: request.sessionID)
        if tone.hasToneStreams {
            if begun.mutate({ b -> Bool in defer { b = true }; return !b }) {
                let s = await tone.beginToneStream(input)
                stream.mutate { $0 = s }
            }
            input.stream = stream.value
        }
        let produced = Locked(false)
        do {
            try await tone.convertTone(input, deadline: deadline) { chunk in
                produced.mutate { $0 = true }
                out.yield(.text(chunk))
            }
        } catch {
            if Task.isCancelled { return }
            failures.record(error)
            logger.warning("tone conversion failed; sending the segment unconverted", metadata: ["tone": "\(decision.category)", "error": "\(error)"])
            if !produced.value && !segment.isEmpty {
                let separator = i > 0 && language == .english ? " " : ""
                out.yield(.text(separator + segment))
            }
        }
    }

    /// The answer is over (finished, failed or cancelled): the plugin's stream state is handed back.
    func end() {
        stream.mutate { s in
            s?.end()
            s = nil
        }
    }

}
