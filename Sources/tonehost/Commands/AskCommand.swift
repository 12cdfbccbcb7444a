import ArgumentParser
import Foundation
import TonehostCore

/// `tonehost ask QUESTION`: one question through the whole pipeline, answer streamed to stdout.
struct AskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ask",
        abstract: "Answer one question through the plugins; the answer streams to stdout, the tone goes to stderr.")

    @OptionGroup var options: PluginOptions

    @Option(name: .long, help: "The visitor description (skips the describer plugin).")
    var description: String?

    @Option(name: .long, help: "Session id handed to the describer.")
    var session: String = "default"

    @Flag(name: .long, help: "Do not convert the tone: print the original answer.")
    var noTone = false

    @Argument(help: "The question.")
    var question: String

    func run() async throws {
        let logger = options.makeLogger(label: "tonehost")
        let generation = try await options.loadGeneration(logger: logger)
        let trimmed = question.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw ExitCode(64, printing: "error: the question is empty")
        }
        let request = PipelineRequest(question: trimmed, sessionID: session, userDescription: description, convertTone: !noTone)
        var failed = false
        let stdout = FileHandle.standardOutput
        for await event in Pipeline(logger: logger).run(request, generation: generation) {
            switch event {
            case .tone(let decision):
                printError("tone: \(decision.category)")
                if !decision.userDescription.isEmpty {
                    printError("description (\(decision.descriptionSource.rawValue)): \(decision.userDescription)")
                }
            case .text(let chunk):
                stdout.write(Data(chunk.utf8))
            case .failure(let message):
                stdout.write(Data("\nERROR: \(message)\n".utf8))
                failed = true
            case .finished:
                stdout.write(Data("\n".utf8))
            case .timedOut:
                stdout.write(Data("\nERROR: request timed out\n".utf8))
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}
