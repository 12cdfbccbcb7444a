import TonehostTypes

/// What re-ranking needs of a passage title — its query terms and whether it reads as an
/// overview ("About ITRI", "工研院簡介") — computed once per distinct title rather than for
/// each of the 50 candidates of every search. Bounded; thread-safe.
enum TitleFeatures {
    struct Features {
        let terms: Set<String>
        let isOverview: Bool
    }

    private static let capacity = 100_000
    private static let cache = Locked<[String: Features]>([:])

    static func of(_ title: String) -> Features {
        if let hit = cache.value[title] { return hit }
        let features = Features(terms: Set(Terms.query(title)), isOverview: Terms.isOverviewTitle(title))
        cache.mutate { map in
            if map.count >= capacity { map.removeAll(keepingCapacity: true) }
            map[title] = features
        }
        return features
    }
}
