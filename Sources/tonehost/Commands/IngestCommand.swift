import ArgumentParser
import Foundation
import KnowledgeStore
import TonehostCore

/// `tonehost ingest [--db PATH] PATH...`: JSON, Markdown and text into the knowledge base; with
/// an embedder manifest active, the passages' vectors too.
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Add JSON lists ({title, content, source, category, hierarchy}), Markdown and text files or folders to the knowledge base. Re-ingesting a file replaces its passages. With an embedder manifest active, passages without a vector are embedded (resumable: run it again after an interruption).")

    @OptionGroup var options: PluginOptions

    @Flag(name: .long, help: "Do not embed, even with an embedder manifest active.")
    var noVectors = false

    @Argument(help: "Files or folders to ingest (none: only embed what has no vector yet).")
    var paths: [String] = []

    func run() async throws {
        let path = options.db ?? KnowledgeStore.defaultPath
        let store = try openStore(path)
        let embedder = noVectors ? nil : try await EmbedderSession.open(options)
        // A store built with another model is refused before anything is written.
        if let embedder { try await embedder.check(store) }
        var failed = false
        if !paths.isEmpty {
            let terminal = isatty(STDERR_FILENO) == 1
            let summary = try await PluginThreadPool.shared.run { [paths] in
                try store.ingest(paths: paths) { done, total, file in
                    guard terminal else { return }
                    ProgressBar.draw(done: done, total: total, label: (file as NSString).lastPathComponent)
                }
            }
            for skipped in summary.skipped { printError("skipped: \(skipped)") }
            print("ingested \(summary.files) files (\(summary.unchanged) unchanged, \(summary.skipped.count) skipped), "
                  + "\(summary.passages) passages in \(String(format: "%.2f", summary.seconds)) s into \(path)")
            failed = !summary.skipped.isEmpty
        }
        if let embedder { try await embedder.embedMissing(store) }
        if failed { throw ExitCode(1) }
    }
}

/// `tonehost reembed`: drops the store's vectors and embeds every passage with the active embedder.
struct ReembedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reembed",
        abstract: "Rebuild the knowledge base's vectors with the active embedder manifest (after changing the embedding model). Searches stay lexical until it is done.")

    @OptionGroup var options: PluginOptions

    func run() async throws {
        let path = options.db ?? KnowledgeStore.defaultPath
        let store = try openStore(path)
        guard let embedder = try await EmbedderSession.open(options) else {
            throw ExitCode(2, printing: "error: no embedder manifest is active in \(options.manifestDirectory) (enable one from \(options.manifestDirectory)/available/)")
        }
        let (model, dimension) = try await embedder.probe()
        if let old = try store.embeddingModel() {
            print("dropping \(try store.passagesWithVector()) vectors by \(old.model) (\(old.dimension) dimensions)")
        }
        try store.clearVectors()
        print("embedding with \(model) (\(dimension) dimensions)")
        try await embedder.embedMissing(store)
    }
}

/// The active embedder manifest, loaded alone (no retriever: it would seed the store).
struct EmbedderSession {
    let plugin: PluginInstance
    let report: LoadReport

    static func open(_ options: PluginOptions) async throws -> EmbedderSession? {
        let logger = options.makeLogger(label: "tonehost")
        var loader = PluginLoader(directory: options.manifestDirectory, environment: options.environment, logger: logger)
        loader.kinds = [.embedder]
        let report = try await PluginThreadPool.shared.run { loader.load() }
        for entry in report.entries {
            if case .failed(let error) = entry.state {
                throw ExitCode(2, printing: "error: \(error)")
            }
        }
        guard let plugin = report.entries.first(where: { if case .active = $0.state { return true } else { return false } })?.plugin else {
            return nil
        }
        return EmbedderSession(plugin: plugin, report: report)
    }

    /// The embedder's model identity and dimension (one short text).
    func probe() async throws -> (String, Int) {
        do {
            let v = try await plugin.embed(["tonehost"], purpose: .document)
            return (v[0].model, v[0].values.count)
        } catch {
            throw ExitCode(1, printing: "error: the embedder \(plugin.name) does not answer: \(error)")
        }
    }

    func check(_ store: KnowledgeStore) async throws {
        guard try store.embeddingModel() != nil else { return }
        let (model, dimension) = try await probe()
        try exitOnError(2, "error: ") { try store.checkEmbeddingModel(model, dimension: dimension) }
    }

    /// Embeds every passage without a vector, with a progress bar on a terminal.
    func embedMissing(_ store: KnowledgeStore) async throws {
        let plugin = self.plugin
        let terminal = isatty(STDERR_FILENO) == 1
        let batch = plugin.manifest.batchSize
        do {
            let summary = try await PluginThreadPool.shared.run {
                try store.embedMissing(batchSize: batch, embed: { texts in try Self.blocking { try await plugin.embed(texts, purpose: .document) } },
                                       progress: { done, total in if terminal { ProgressBar.draw(done: done, total: total, label: "vectors") } })
            }
            print("embedded \(summary.embedded) passages with \(plugin.name) (\(summary.reused) already had a vector, "
                  + "\(summary.dropped) stale dropped) in \(String(format: "%.2f", summary.seconds)) s")
        } catch {
            printError("error: \(error)")
            throw ExitCode(1, printing: "the vectors written so far are kept: run the command again to go on")
        }
    }

    /// Runs async work from a plugin-pool thread (which may wait).
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }
}

final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}

enum ProgressBar {
    static func draw(done: Int, total: Int, label: String) {
        let width = 30
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total) \(label.prefix(40))\u{1B}[K".utf8))
        if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// The store at `path`; a store that cannot be opened is printed and exits with status 2.
func openStore(_ path: String) throws -> KnowledgeStore {
    try exitOnError(2, "error: ") { try KnowledgeStore(path: path) }
}
