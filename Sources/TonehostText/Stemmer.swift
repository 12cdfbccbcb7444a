extension SearchTerms {
    /// Folds English verb forms on top of `SearchTerms`' plural folding: "hiring" / "hires" /
    /// "hire" → "hir", "founded" → "found", "opening" / "opens" → "open". Terms that are not
    /// plain ASCII words longer than 3 letters are returned as they are.
    public static func stem(_ term: String) -> String {
        let utf8 = term.utf8
        guard utf8.count > 3, utf8.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) else { return term }
        return utf8.withContiguousStorageIfAvailable { stem(term, bytes: $0) } ?? Array(utf8).withUnsafeBufferPointer { stem(term, bytes: $0) }
    }

    private static let suffixes: [[UInt8]] = ["ing", "ed", "er", "es", "ly", "s"].map { Array($0.utf8) }

    private static func stem(_ term: String, bytes w: UnsafeBufferPointer<UInt8>) -> String {
        var end = w.count
        if !(w[end - 1] == 0x73 && w[end - 2] == 0x73) {  // not "…ss"
            for suffix in suffixes where end >= suffix.count && w[(end - suffix.count)..<end].elementsEqual(suffix) {
                if end - suffix.count >= 3 { end -= suffix.count }
                break
            }
        }
        if end > 3 && w[end - 1] == 0x65 { end -= 1 }  // final "e"
        if end > 3 && w[end - 1] == w[end - 2] && !"aeiouls".utf8.contains(w[end - 1]) { end -= 1 }  // "runn" → "run"
        return end == w.count ? term : String(decoding: UnsafeBufferPointer(rebasing: w[0..<end]), as: UTF8.self)
    }

}
