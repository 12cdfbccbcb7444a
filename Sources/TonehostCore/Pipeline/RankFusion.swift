/// Reciprocal rank fusion of several ranked lists of passages (the same question asked in two
/// languages): a passage scores Σ 1/(k + rank) over the lists it is in; ties keep the first
/// list's order. Scores of different lists are never compared, only ranks.
public enum RankFusion {
    public static func reciprocal(_ lists: [[RetrievedPassage]], topK: Int, k: Double = 60) -> [RetrievedPassage] {
        var score: [String: Double] = [:]
        var first: [String: (list: Int, rank: Int, passage: RetrievedPassage)] = [:]
        for (l, list) in lists.enumerated() {
            for (rank, p) in list.enumerated() {
                score[p.id, default: 0] += 1 / (k + Double(rank + 1))
                if first[p.id] == nil { first[p.id] = (l, rank, p) }
            }
        }
        let ordered = first.values.sorted { a, b in
            let sa = score[a.passage.id]!, sb = score[b.passage.id]!
            if sa != sb { return sa > sb }
            return a.rank != b.rank ? a.rank < b.rank : a.list < b.list
        }
        return ordered.prefix(topK).map { entry in
            var p = entry.passage
            p.score = (score[p.id]! * 1_000_000).rounded() / 1_000_000
            return p
        }
    }
}
