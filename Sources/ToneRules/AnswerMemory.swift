import Foundation

/// The little a converter remembers across the segments of one answer, since the host converts
/// an answer one sentence per call:
/// * at which segment each abbreviation was first explained (elder: explain once per answer);
/// * which segments ended in a bare list marker ("1."), so the professional tone keeps the item
///   on the marker's line.
///
/// An answer is keyed by session, question and description; segment 0 starts it afresh. A
/// segment converted again gives the same text. Bounded: cleared when it grows large.
final class AnswerMemory: @unchecked Sendable {
    static let shared = AnswerMemory()

    private struct Answer {
        var explained: [String: Int] = [:]
        var markerSegments: Set<Int> = []
    }

    private let lock = NSLock()
    private var answers: [String: Answer] = [:]

    static func key(_ context: ToneContext) -> String {
        "\(context.sessionID)\u{1F}\(context.userMessage)\u{1F}\(context.userDescription)"
    }

    func startSegment(answer: String, index: Int) {
        lock.lock()
        defer { lock.unlock() }
        if answers.count > 4096 { answers.removeAll(keepingCapacity: true) }
        if index == 0 { answers[answer] = Answer() }
    }

    /// True when `term` is first met in segment `index` of the answer (or again in that same segment).
    func claim(answer: String, term: String, index: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        var a = answers[answer] ?? Answer()
        if let first = a.explained[term], first < index { return false }
        a.explained[term] = min(a.explained[term] ?? index, index)
        answers[answer] = a
        return true
    }

    func setMarker(answer: String, index: Int, _ isMarker: Bool) {
        lock.lock()
        defer { lock.unlock() }
        var a = answers[answer] ?? Answer()
        if isMarker { a.markerSegments.insert(index) } else { a.markerSegments.remove(index) }
        answers[answer] = a
    }

    func isMarker(answer: String, index: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return answers[answer]?.markerSegments.contains(index) ?? false
    }
}
