import Foundation
import TonehostText

/// A passage ready to be written: text plus metadata, before it gets ids and search terms.
struct PassageDraft: Sendable {
    var title: String
    var content: String
    var source: String
    var category: String
    var hierarchy: String
}

/// Why a file could not be read as knowledge (the reason half of "path: reason").
struct ParseFailure: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// Turns a file's bytes into passages: JSON entry lists, Markdown (split by headings) and
/// plain text (split by paragraphs). Long texts are chunked with `Chunker`.
enum DocumentParser {
    static let supportedExtensions: Set<String> = ["json", "md", "markdown", "txt"]

    static func parse(data: Data, path: String) throws -> [PassageDraft] {
        let ext = (path as NSString).pathExtension.lowercased()
        let name = (path as NSString).lastPathComponent
        guard supportedExtensions.contains(ext) else {
            throw ParseFailure("unsupported file type \".\(ext)\" (expected .json, .md, .markdown or .txt)")
        }
        if ext == "json" { return try parseJSON(data, source: name) }
        guard var text = String(data: data, encoding: .utf8) else { throw ParseFailure("not UTF-8 text") }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        text = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        let drafts = ext == "txt" ? parseText(text, name: name) : parseMarkdown(text, name: name)
        if drafts.isEmpty { throw ParseFailure("no text in the file") }
        return drafts
    }

    /// "visitor_hours.txt" → "visitor hours".
    static func documentTitle(fromFileName name: String) -> String {
        let base = (name as NSString).deletingPathExtension
        let spaced = base.replacingOccurrences(of: "_", with: " ").replacingOccurrences(of: "-", with: " ")
        return spaced.trimmingWhitespace().isEmpty ? name : spaced.trimmingWhitespace()
    }

    // MARK: JSON

    static func parseJSON(_ data: Data, source: String) throws -> [PassageDraft] {
        var bytes = data
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed])
        } catch {
            let detail = (error as NSError).userInfo["NSDebugDescription"] as? String
            throw ParseFailure("invalid JSON" + (detail.map { " (\($0))" } ?? ""))
        }
        let list: [Any]
        if let array = root as? [Any] {
            list = array
        } else if let object = root as? [String: Any] {
            if object["content"] != nil {
                list = [object]
            } else if let key = ["entries", "documents", "data", "items", "passages", "knowledge"].first(where: { object[$0] is [Any] }) {
                list = object[key] as! [Any]
            } else {
                throw ParseFailure("expected a JSON array of entries {title?, content, source?, category?, hierarchy?} (or an object with an \"entries\" array)")
            }
        } else {
            throw ParseFailure("expected a JSON array of entries {title?, content, source?, category?, hierarchy?}")
        }
        if list.isEmpty { throw ParseFailure("the JSON array has no entries") }

        var entries: [Entry] = []
        entries.reserveCapacity(list.count)
        for (i, item) in list.enumerated() { entries.append(try entry(from: item, number: i + 1)) }
        return Parallel.map(entries) { drafts(for: $0, defaultSource: source) }.flatMap { $0 }
    }

    private static func entry(from item: Any, number: Int) throws -> Entry {
        guard let object = item as? [String: Any] else {
            throw ParseFailure("entry \(number) is not a JSON object")
        }
        func field(_ key: String, joiner: String) throws -> String? {
            guard let value = object[key], !(value is NSNull) else { return nil }
            if let s = value as? String { return s }
            if let strings = value as? [String] { return strings.joined(separator: joiner) }
            if let n = value as? NSNumber, !(value is Bool) { return n.stringValue }
            throw ParseFailure("entry \(number): \"\(key)\" must be a string")
        }
        guard let content = try field("content", joiner: "\n\n") else {
            throw ParseFailure("entry \(number) has no \"content\"")
        }
        if content.trimmingWhitespace().isEmpty { throw ParseFailure("entry \(number) has an empty \"content\"") }
        return Entry(title: try field("title", joiner: " "), content: content, source: try field("source", joiner: ", "),
                     category: try field("category", joiner: ", "), hierarchy: try field("hierarchy", joiner: " > "))
    }

    /// An entry as one passage, or several chunks sharing its title when the content is long.
    static func drafts(for entry: Entry, defaultSource: String) -> [PassageDraft] {
        let content = entry.content.utf8.contains(13) ? entry.content.replacingOccurrences(of: "\r\n", with: "\n") : entry.content
        let hierarchy = entry.hierarchy?.trimmingWhitespace() ?? ""
        var title = entry.title?.trimmingWhitespace() ?? ""
        if title.isEmpty {
            if let last = hierarchy.components(separatedBy: ">").last?.trimmingWhitespace(), !last.isEmpty {
                title = last
            } else {
                let first = SentenceSplitter.split(content).first ?? ""
                title = first.count <= 60 ? first : String(first.prefix(60)) + "…"
            }
        }
        let source = entry.source?.trimmingWhitespace().nonEmpty ?? defaultSource
        let category = entry.category?.trimmingWhitespace() ?? ""
        return Chunker.chunks(content).map {
            PassageDraft(title: title, content: $0, source: source, category: category, hierarchy: hierarchy)
        }
    }

    // MARK: Plain text

    /// Paragraph groups of ~chunk size. A short first line standing alone (no sentence
    /// terminator, followed by a blank line) is taken as the title; else the file name is.
    static func parseText(_ text: String, name: String) -> [PassageDraft] {
        var paragraphs = Chunker.paragraphs(text)
        var title = documentTitle(fromFileName: name)
        if paragraphs.count > 1, let first = paragraphs.first, !first.contains("\n"), first.count <= 80,
           let last = first.last, !".。!！?？;；:：,，".contains(last) {
            title = first
            paragraphs.removeFirst()
        }
        let body = paragraphs.joined(separator: "\n\n")
        return Chunker.chunks(body).map {
            PassageDraft(title: title, content: $0, source: name, category: "", hierarchy: title)
        }
    }

    // MARK: Markdown

    struct MarkdownSection {
        var path: [String]
        var body: String
    }

    /// The document title and its sections (heading path + cleaned body text).
    static func markdownSections(_ text: String, name: String) -> (title: String, sections: [MarkdownSection]) {
        var lines = text.components(separatedBy: "\n")
        var frontTitle: String?
        // YAML front matter: skipped, but its `title:` is used.
        if lines.first?.trimmingWhitespace() == "---", let end = lines.dropFirst().firstIndex(where: { $0.trimmingWhitespace() == "---" }) {
            for line in lines[1..<end] where line.lowercased().hasPrefix("title:") {
                frontTitle = String(line.dropFirst(6)).trimmingWhitespace().trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            }
            lines.removeSubrange(0...end)
        }

        var headings: [(level: Int, text: String)] = []  // every heading, in order, for the doc-title rule
        var sections: [(stack: [(level: Int, text: String)], lines: [String])] = [([], [])]
        var stack: [(level: Int, text: String)] = []
        var inFence = false
        var fenceMarker = ""

        func startSection(level: Int, text: String) {
            while let top = stack.last, top.level >= level { stack.removeLast() }
            stack.append((level, text))
            headings.append((level, text))
            sections.append((stack, []))
        }

        for line in lines {
            let trimmed = line.trimmingWhitespace()
            if inFence {
                if trimmed.hasPrefix(fenceMarker) { inFence = false } else { sections[sections.count - 1].lines.append(line) }
                continue
            }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                inFence = true
                fenceMarker = String(trimmed.prefix(3))
                continue
            }
            if let (level, heading) = atxHeading(line) {
                startSection(level: level, text: heading)
                continue
            }
            // Setext: "Title\n=====" / "Title\n-----" (the previous line becomes the heading).
            if !trimmed.isEmpty, trimmed.allSatisfy({ $0 == "=" }) || (trimmed.count >= 2 && trimmed.allSatisfy({ $0 == "-" })),
               let previous = sections[sections.count - 1].lines.last, !previous.trimmingWhitespace().isEmpty,
               atxHeading(previous) == nil {
                sections[sections.count - 1].lines.removeLast()
                startSection(level: trimmed.first == "=" ? 1 : 2, text: cleanInline(previous.trimmingWhitespace()))
                continue
            }
            sections[sections.count - 1].lines.append(line)
        }

        // A single top-level H1 names the document; otherwise the front matter or the file does.
        var docTitle = frontTitle ?? documentTitle(fromFileName: name)
        var dropFirstLevel = false
        if frontTitle == nil, let first = headings.first, first.level == 1, headings.filter({ $0.level == 1 }).count == 1 {
            docTitle = first.text
            dropFirstLevel = true
        }
        var out: [MarkdownSection] = []
        for section in sections {
            var path = section.stack.map(\.text)
            if dropFirstLevel, let first = section.stack.first, first.level == 1 { path.removeFirst() }
            let body = cleanMarkdown(section.lines)
            if body.isEmpty { continue }
            out.append(MarkdownSection(path: path, body: body))
        }
        return (docTitle, out)
    }

    static func parseMarkdown(_ text: String, name: String) -> [PassageDraft] {
        let (docTitle, sections) = markdownSections(text, name: name)
        var drafts: [PassageDraft] = []
        for section in sections {
            let title = section.path.isEmpty ? docTitle : section.path.joined(separator: " > ")
            let hierarchy = ([docTitle] + section.path).joined(separator: " > ")
            for chunk in Chunker.chunks(section.body) {
                drafts.append(PassageDraft(title: title, content: chunk, source: name, category: "", hierarchy: hierarchy))
            }
        }
        return drafts
    }

    /// "## Opening hours ##" → (2, "Opening hours").
    static func atxHeading(_ line: String) -> (Int, String)? {
        var s = Substring(line)
        var indent = 0
        while s.first == " ", indent < 4 { s.removeFirst(); indent += 1 }
        guard indent < 4, s.first == "#" else { return nil }
        var level = 0
        while s.first == "#" { s.removeFirst(); level += 1 }
        guard (1...6).contains(level), s.isEmpty || s.first == " " || s.first == "\t" else { return nil }
        var text = String(s).trimmingWhitespace()
        // Closing hashes.
        if let range = text.range(of: #"\s+#+$"#, options: .regularExpression) { text.removeSubrange(range) }
        if text.allSatisfy({ $0 == "#" }) { text = "" }
        text = cleanInline(text)
        return text.isEmpty ? nil : (level, text)
    }

    private static let linkDefinition = try! NSRegularExpression(pattern: #"^\s{0,3}\[[^\]]+\]:\s+\S+.*$"#)
    private static let horizontalRule = try! NSRegularExpression(pattern: #"^\s{0,3}([-*_])(\s*\1){2,}\s*$"#)
    private static let listMarker = try! NSRegularExpression(pattern: #"^\s*(?:[-*+]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s+)?"#)
    private static let quoteMarker = try! NSRegularExpression(pattern: #"^\s*(?:>\s?)+"#)
    private static let tableRule = try! NSRegularExpression(pattern: #"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$"#)
    private static let image = try! NSRegularExpression(pattern: #"!\[([^\]]*)\]\([^)]*\)"#)
    private static let link = try! NSRegularExpression(pattern: #"\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])"#)
    private static let strong = try! NSRegularExpression(pattern: #"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"#)
    private static let emphasisStar = try! NSRegularExpression(pattern: #"\*(?=\S)([^*\n]+?)(?<=\S)\*"#)
    private static let emphasisUnderscore = try! NSRegularExpression(pattern: #"(?<![\p{L}\p{N}])_(?=\S)([^_\n]+?)(?<=\S)_(?![\p{L}\p{N}])"#)
    private static let strike = try! NSRegularExpression(pattern: #"~~(.+?)~~"#)
    private static let code = try! NSRegularExpression(pattern: #"`+([^`]+)`+"#)
    private static let htmlTag = try! NSRegularExpression(pattern: #"</?[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?>|<!--.*?-->"#)

    private static func replace(_ regex: NSRegularExpression, in s: String, with template: String) -> String {
        regex.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template)
    }

    private static func matches(_ regex: NSRegularExpression, _ s: String) -> Bool {
        regex.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }

    /// Markdown inline syntax removed, text kept: links → their text, emphasis and code marks dropped.
    static func cleanInline(_ line: String) -> String {
        guard line.contains(where: { "[]*_`~<!".contains($0) }) else { return line }
        var s = replace(image, in: line, with: "$1")
        s = replace(link, in: s, with: "$1")
        s = replace(htmlTag, in: s, with: "")
        s = replace(code, in: s, with: "$1")
        s = replace(strong, in: s, with: "$2")
        s = replace(emphasisStar, in: s, with: "$1")
        s = replace(emphasisUnderscore, in: s, with: "$1")
        s = replace(strike, in: s, with: "$1")
        return s
    }

    /// Section lines as plain text: list/quote markers, rules, link definitions and table
    /// rules dropped, table rows as "a, b, c", paragraphs kept apart by blank lines.
    static func cleanMarkdown(_ lines: [String]) -> String {
        var out: [String] = []
        for raw in lines {
            var line = raw
            if line.trimmingWhitespace().isEmpty { out.append(""); continue }
            if matches(linkDefinition, line) || matches(horizontalRule, line) || matches(tableRule, line) { continue }
            line = replace(quoteMarker, in: line, with: "")
            line = replace(listMarker, in: line, with: "")
            var trimmed = line.trimmingWhitespace()
            if trimmed.hasPrefix("|") || (trimmed.contains(" | ") && trimmed.hasSuffix("|")) {
                let cells = trimmed.split(separator: "|").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
                trimmed = cells.joined(separator: ", ")
            }
            trimmed = cleanInline(trimmed)
            if !trimmed.isEmpty { out.append(trimmed) }
        }
        return out.joined(separator: "\n").trimmingWhitespace()
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
