import Foundation

/// The little a converter remembers across the segments of ONE answer, since the host converts
/// an answer one sentence per call:
/// * at which segment each abbreviation was first explained (elder: explain once per answer);
/// * which segments ended in a bare list marker ("1."), so the professional tone keeps the item
///   on the marker's line.
///
/// One instance per answer: the rule tone plugins make it in `beginAnswer` (the ABI's
/// `tone_stream_begin`), so two visitors asking the same question at once never share it. A
/// segment converted again gives the same text. Thread-safe.
public final class AnswerMemory: @unchecked Sendable {
    private let lock = NSLock()
    private var explained: [String: Int] = [:]
    private var markerSegments: Set<Int> = []

    public init() {}

    /// True when `term` is first met in segment `index` of the answer (or again in that same segment).
    func claim(term: String, index: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if let first = explained[term], first < index { return false }
        explained[term] = min(explained[term] ?? index, index)
        return true
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
