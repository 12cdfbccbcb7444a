import Foundation

/// The little a converter remembers across the segments of ONE answer, since the host converts
/// an answer one sentence per call:
/// * at which segment each abbreviation was first explained (elder: explain once per answer);
/// * which segments ended in a bare list marker ("1."), so the professional tone keeps the item
///   on the marker's line;
/// * marks of the answer as a whole: the segment that used its one expression tag, the segment
///   that held a no-information reply (the closing is then sober);
/// * the last character of each segment's output, so the next one knows whether it needs a space.
///
/// One instance per answer: the rule tone plugins make it in `beginAnswer` (the ABI's
/// `tone_stream_begin`), so two visitors asking the same question at once never share it. A
/// segment converted again gives the same text. Thread-safe.
public final class AnswerMemory: @unchecked Sendable {
    private let lock = NSLock()
    private var explained: [String: Int] = [:]
    private var markerSegments: Set<Int> = []
    private var marks: [String: Int] = [:]
    private var endings: [Int: Character] = [:]

    public init() {}

    /// True when `term` is first met in segment `index` of the answer (or again in that same segment).
    func claim(term: String, index: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if let first = explained[term], first < index { return false }
        explained[term] = min(explained[term] ?? index, index)
        return true
    }

    /// Notes that `key` happened in segment `index` (the earliest segment is kept).
    func mark(_ key: String, index: Int) {
        lock.lock()
        defer { lock.unlock() }
        marks[key] = min(marks[key] ?? index, index)
    }

    /// Whether `key` happened in a segment before `index` (converting a segment again sees the same).
    func isMarked(_ key: String, before index: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return (marks[key] ?? Int.max) < index
    }

    func setEnding(index: Int, _ last: Character?) {
        lock.lock()
        defer { lock.unlock() }
        endings[index] = last
    }

    /// The last character produced before segment `index` (segments that produced nothing
    /// skipped); nil when none is known.
    func lastEnding(before index: Int) -> Character? {
        lock.lock()
        defer { lock.unlock() }
        var i = index - 1
        while i >= 0 {
            if let c = endings[i] { return c }
            i -= 1
        }
        return nil
    }

    func setMarker(index: Int, _ isMarker: Bool) {
        lock.lock()
        defer { lock.unlock() }
        if isMarker { markerSegments.insert(index) } else { markerSegments.remove(index) }
    }

    func isMarker(index: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return markerSegments.contains(index)
    }
}
