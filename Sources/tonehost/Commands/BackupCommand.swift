import ArgumentParser
import Foundation
import KnowledgeStore
import SQLiteSupport

/// `tonehost backup DEST`: a consistent online copy of the store while the server runs.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the store (knowledge base + sessions) to DEST with SQLite's online backup; safe while `serve` runs.")

    @OptionGroup var store: StoreOption

    @Argument(help: "Where to write the copy (replaced if it exists).")
    var destination: String

    func run() async throws {
        let source = store.path
        guard (source as NSString).standardizingPath != (destination as NSString).standardizingPath else {
            throw ExitCode(2, printing: "tonehost backup: DEST is the store itself")
        }
        try exitOnError(1, "tonehost backup: ") {
            let started = Date()
            // A partial file from an earlier failed run must not be mistaken for a backup.
            let partial = destination + ".partial"
            try? FileManager.default.removeItem(atPath: partial)
            let result = try SQLiteBackup.copy(from: source, to: partial)
            let problems = try SQLiteBackup.integrityCheck(partial)
            guard problems == ["ok"] else {
                throw ExitCode(1, printing: "tonehost backup: the copy failed integrity_check: \(problems.prefix(5).joined(separator: "; "))")
            }
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: destination + suffix) }
            try FileManager.default.moveItem(atPath: partial, toPath: destination)
            print(String(format: "backed up %@ → %@: %d pages, %.1f MB, %.2f s, integrity ok", source, destination,
                         result.pages, Double(result.bytes) / 1e6, Date().timeIntervalSince(started)))
        }
    }
}

/// `tonehost restore SRC`: replace the store with a backup (checked first); the replaced
/// store is kept next to it for rollback.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace the store with SRC (a `tonehost backup`). Checks SRC first, keeps the old store as <db>.pre-restore-<time>; refuses while a server uses the store unless --force.")

    @OptionGroup var store: StoreOption

    @Flag(name: .long, help: "Restore even while a server holds the store (it keeps serving from the replaced data; restart it).")
    var force = false

    @Argument(help: "The backup to restore.")
    var source: String

    func run() async throws {
        let target = store.path
        try exitOnError(1, "tonehost restore: ") {
            let problems = try SQLiteBackup.integrityCheck(source)
            guard problems == ["ok"] else {
                throw ExitCode(1, printing: "tonehost restore: \(source) failed integrity_check, nothing changed: \(problems.prefix(5).joined(separator: "; "))")
            }
            let lock = try DatabaseLock.acquire(database: target, exclusive: true)
            if lock == nil && !force {
                throw ExitCode(1, printing: "tonehost restore: a running tonehost server uses \(target) (\(DatabaseLock.lockPath(for: target)) is held); stop it first (systemctl stop tonehost) or pass --force")
            }
            var kept: String?
            if FileManager.default.fileExists(atPath: target) {
                let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
                kept = "\(target).pre-restore-\(stamp)"
                try SQLiteBackup.copy(from: target, to: kept!)
            }
            // Through SQLite, not a file copy: the target's WAL and readers stay consistent.
            let result = try SQLiteBackup.copy(from: source, to: target)
            withExtendedLifetime(lock) {}
            print("restored \(source) → \(target): \(result.pages) pages" + (kept.map { "; the previous store is kept as \($0)" } ?? ""))
        }
    }
}
