import Foundation
import TonehostText

/// One retrievable piece of knowledge: a JSON entry, a Markdown section or a text paragraph
/// group (long ones are split into chunks of ~600 CJK / ~900 Latin characters).
public struct Passage: Sendable, Equatable {
    /// Stable id: a short hash of the document key, "-", the chunk's ordinal in that document.
    public var id: String
    public var title: String
    public var content: String
    public var source: String
    public var category: String
    public var hierarchy: String
    public var language: Language
    /// Ranking score of the last search (higher is better; 0 outside search results).
    public var score: Double
}

/// One knowledge-base entry as found in the JSON files: `{title?, content, source?, category?, hierarchy?}`.
public struct Entry: Sendable, Equatable, Decodable {
    public var title: String?
    public var content: String
    public var source: String?
    public var category: String?
    public var hierarchy: String?

    public init(title: String? = nil, content: String, source: String? = nil, category: String? = nil, hierarchy: String? = nil) {
        self.title = title; self.content = content; self.source = source; self.category = category; self.hierarchy = hierarchy
    }
}

/// What an `ingest(paths:)` run did.
public struct IngestSummary: Sendable {
    /// Files whose passages were written in this run (new or changed).
    public var files = 0
    /// Passages written in this run.
    public var passages = 0
    /// Files that could not be ingested, each as "path: reason". Nothing of theirs was written
    /// (their previous passages, if any, are kept).
    public var skipped: [String] = []
    /// Files already in the store with the same content hash (left as they were).
    public var unchanged = 0
    /// Passages removed because their file changed (replaced by the new ones).
    public var replaced = 0
    public var seconds = 0.0
}

/// A knowledge-base failure, naming the file (or store) and what was wrong with it.
public struct KnowledgeStoreError: Error, CustomStringConvertible, Sendable {
    /// The file or store path concerned.
    public var path: String
    public var reason: String

    public var description: String { "\(path): \(reason)" }
}
