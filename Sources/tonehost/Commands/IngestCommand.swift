import ArgumentParser
import Foundation
import KnowledgeStore

/// `tonehost ingest [--db PATH] PATH...`: JSON, Markdown and text into the knowledge base.
struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Add JSON lists ({title, content, source, category, hierarchy}), Markdown and text files or folders to the knowledge base. Re-ingesting a file replaces its passages.")

    @OptionGroup var store: StoreOption

    @Argument(help: "Files or folders to ingest.")
    var paths: [String]

    func run() throws {
        let path = store.path
        let store: KnowledgeStore
        do {
            store = try KnowledgeStore(path: path)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        let terminal = isatty(STDERR_FILENO) == 1
        let summary = try store.ingest(paths: paths) { done, total, file in
            guard terminal else { return }
            let width = 30
            let filled = total > 0 ? width * done / total : width
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            let name = (file as NSString).lastPathComponent
            FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total) \(name.prefix(40))\u{1B}[K".utf8))
            if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
        }
        for skipped in summary.skipped { printError("skipped: \(skipped)") }
        print("ingested \(summary.files) files (\(summary.unchanged) unchanged, \(summary.skipped.count) skipped), "
              + "\(summary.passages) passages in \(String(format: "%.2f", summary.seconds)) s into \(path)")
        if !summary.skipped.isEmpty { throw ExitCode(1) }
    }
}
