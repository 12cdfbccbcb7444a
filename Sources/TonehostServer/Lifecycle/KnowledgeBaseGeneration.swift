import CSQLite
import Foundation
import SQLiteSupport
import TonehostTypes

/// Which content this host's knowledge base holds, so an operator running several hosts sees
/// one that lags (`/readyz` `knowledge_base`, `/metrics` `tonehost_knowledge_base_generation`).
///
/// The generation is a fingerprint of the ingested documents' content hashes (sorted), not a
/// counter: two hosts that ingested the same files, or restored the same backup, show the same
/// generation wherever the files were; any added, changed or removed document changes it.
/// Read at most every `refresh` (a few milliseconds for thousands of documents). Thread-safe.
final class KnowledgeBaseGeneration: @unchecked Sendable {
    struct Snapshot: Encodable, Sendable {
        /// 12 hex digits; "empty" for a store with no documents.
        var generation: String
        var documents: Int
        var passages: Int
        /// Unix seconds of the newest ingest; nil when empty.
        var ingestedAt: Double?
    }

    static let refresh: Duration = .seconds(5)

    let path: String
    private let cached = Locked<(snapshot: Snapshot?, read: ContinuousClock.Instant?)>((nil, nil))

    init(path: String) { self.path = path }

    /// The current snapshot (re-read when older than `refresh`); nil when the store cannot be read.
    func current() -> Snapshot? {
        let last = cached.value
        if let read = last.read, ContinuousClock.now - read < Self.refresh { return last.snapshot }
        let snapshot = try? Self.read(path)
        cached.mutate { $0 = (snapshot, .now) }
        if let snapshot {
            TonehostMetrics.shared.knowledgeBaseGeneration.set(Double(Int(snapshot.generation, radix: 16) ?? 0))
            TonehostMetrics.shared.knowledgeBaseDocuments.set(Double(snapshot.documents))
        }
        return snapshot
    }

    static func read(_ path: String) throws -> Snapshot {
        let db = try SQLiteConnection(path: path, flags: SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX)
        sqlite3_busy_timeout(db.handle, 500)
        guard try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'documents'") == 1 else {
            return Snapshot(generation: "empty", documents: 0, passages: 0, ingestedAt: nil)
        }
        let stmt = try db.prepare("SELECT hash FROM documents ORDER BY hash")
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a, 64 bit
        var documents = 0
        while try stmt.step() {
            documents += 1
            stmt.withBytes(0) { bytes in
                for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
            }
            hash = (hash ^ 0x0a) &* 0x100_0000_01b3
        }
        stmt.reset()
        let passages = Int(try db.scalarInt("SELECT count(*) FROM passages") ?? 0)
        let newest = try db.prepare("SELECT max(ingested_at) FROM documents")
        let ingestedAt = try newest.step() && documents > 0 ? newest.double(0) : nil
        newest.reset()
        guard documents > 0 else { return Snapshot(generation: "empty", documents: 0, passages: passages, ingestedAt: nil) }
        // 48 bits: exact as a Prometheus float, and plenty to tell contents apart.
        return Snapshot(generation: String(hash >> 16, radix: 16).leftPadded(to: 12), documents: documents, passages: passages,
                        ingestedAt: ingestedAt)
    }
}

private extension String {
    func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
