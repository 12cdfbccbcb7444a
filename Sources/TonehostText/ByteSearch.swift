/// Substring tests on UTF-8 bytes, for hot paths: `String.contains(_:)` from
/// Foundation goes through CFString's Unicode-aware search, which is the costliest thing a
/// query did. Byte equality is what these callers mean (no case folding, no normalization).
public enum ByteSearch {
    public static func contains(_ haystack: String, _ needle: String) -> Bool {
        var h = haystack, n = needle
        return h.withUTF8 { hb in n.withUTF8 { nb in find(nb, in: hb, asciiFolded: false) } }
    }

    /// Whether `haystack` holds one of `needles`. `asciiFolded`: the needles are lower-case and
    /// ASCII capitals of the haystack match them too.
    public static func containsAny(_ haystack: String, _ needles: [[UInt8]], asciiFolded: Bool) -> Bool {
        var h = haystack
        return h.withUTF8 { hb in
            needles.contains { needle in needle.withUnsafeBufferPointer { find($0, in: hb, asciiFolded: asciiFolded) } }
        }
    }

    private static func find(_ nb: UnsafeBufferPointer<UInt8>, in hb: UnsafeBufferPointer<UInt8>, asciiFolded: Bool) -> Bool {
        if nb.isEmpty { return true }
        if nb.count > hb.count { return false }
        let first = nb[0], last = hb.count - nb.count
        var i = 0
        outer: while i <= last {
            if fold(hb[i], asciiFolded) == first {
                for k in 1..<nb.count where fold(hb[i + k], asciiFolded) != nb[k] { i += 1; continue outer }
                return true
            }
            i += 1
        }
        return false
    }

    @inline(__always) private static func fold(_ b: UInt8, _ on: Bool) -> UInt8 {
        on && b >= 0x41 && b <= 0x5A ? b | 0x20 : b
    }

    /// `text` with ASCII letters lower-cased (other bytes as they are): enough for matching
    /// English phrases, without Unicode case mapping.
    public static func asciiLowercased(_ text: String) -> String {
        var bytes = Array(text.utf8)
        var changed = false
        for i in bytes.indices where bytes[i] >= 0x41 && bytes[i] <= 0x5A {
            bytes[i] |= 0x20
            changed = true
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : text
    }
}
