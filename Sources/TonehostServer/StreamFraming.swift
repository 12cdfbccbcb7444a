/// Only the host writes framing lines. Clients find the end of an answer by a line `END_FLAG`
/// or by the substring `END_FLAG` anywhere in the bytes, and a failure by a line starting
/// `ERROR:` (MISSION §5) — so text that reaches the stream from a plugin, an LLM or the client
/// (a `user_description` a tone greets with, the `text` of convert-tone) must not contain them.
///
/// `FramingGuard` rewrites them as the text streams, on UTF-8 bytes and across chunk
/// boundaries: every `END_FLAG` becomes `END FLAG`, and `ERROR:` at the start of a line (after
/// `\n` or `\r`, or at the start of the answer) becomes `Error:`. A chunk ending in what could
/// be the start of either is held back until the next chunk (or `finish`) decides.
struct FramingGuard {
    /// What is rewritten, and where. Both tokens start with "E", which the scan looks for.
    private static let rules: [(token: [UInt8], neutral: [UInt8], atLineStartOnly: Bool)] = [
        (Array("END_FLAG".utf8), Array("END FLAG".utf8), false),
        (Array("ERROR:".utf8), Array("Error:".utf8), true),
    ]

    private var held: [UInt8] = []
    private var atLineStart = true

    /// The part of `chunk` (with what was held back) that can be written now.
    mutating func push(_ chunk: String) -> String {
        var input = held
        held.removeAll(keepingCapacity: true)
        input.append(contentsOf: chunk.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        var i = 0
        scan: while i < input.count {
            let b = input[i]
            if b == UInt8(ascii: "E") {
                for rule in Self.rules where !rule.atLineStartOnly || atLineStart {
                    switch Self.match(input, at: i, rule.token) {
                    case .full:
                        out.append(contentsOf: rule.neutral)
                        i += rule.token.count
                        atLineStart = false
                        continue scan
                    case .partial:
                        held.append(contentsOf: input[i...])
                        return String(decoding: out, as: UTF8.self)
                    case .none:
                        continue
                    }
                }
            }
            out.append(b)
            atLineStart = b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r")
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// What is still held back (a strict prefix of a token, harmless on its own). Call before
    /// the host writes a framing line; the next text starts a new line.
    mutating func finish() -> String {
        defer {
            held.removeAll()
            atLineStart = true
        }
        return String(decoding: held, as: UTF8.self)
    }

    /// A message for the host's own `ERROR:` line: one line, with no `END_FLAG` in it.
    static func errorMessage(_ message: String) -> String {
        var guardState = FramingGuard()
        guardState.atLineStart = false
        let flat = message.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "\r", with: " ")
        return guardState.push(flat) + guardState.finish()
    }

    private enum Match { case full, partial, none }

    private static func match(_ input: [UInt8], at i: Int, _ token: [UInt8]) -> Match {
        let available = input.count - i
        let n = min(available, token.count)
        for k in 0..<n where input[i + k] != token[k] { return .none }
        return n == token.count ? .full : .partial
    }
}
