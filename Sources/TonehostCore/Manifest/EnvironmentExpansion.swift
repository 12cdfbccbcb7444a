/// Expands `${VAR}` and `${VAR:-default}` in manifest strings, so secrets and URLs stay in the
/// environment. `$$` is a literal `$`. An unset variable without a default is an error naming it.
public enum EnvironmentExpansion {
    public struct UnsetVariable: Error, CustomStringConvertible {
        public let name: String
        public var description: String { "environment variable '\(name)' is not set and has no default (write ${\(name):-default})" }
    }

    public static func expand(_ text: String, environment: [String: String]) throws -> String {
        guard text.contains("$") else { return text }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            let next = text.index(after: i)
            if c == "$", next < text.endIndex, text[next] == "$" {
                out.append("$")
                i = text.index(after: next)
                continue
            }
            if c == "$", next < text.endIndex, text[next] == "{", let close = text[next...].firstIndex(of: "}") {
                let body = text[text.index(after: next)..<close]
                let name: Substring
                var fallback: Substring?
                if let sep = body.range(of: ":-") {
                    name = body[..<sep.lowerBound]
                    fallback = body[sep.upperBound...]
                } else {
                    name = body
                }
                if let value = environment[String(name)], !(value.isEmpty && fallback != nil) {
                    out += value
                } else if let fallback {
                    out += fallback
                } else {
                    throw UnsetVariable(name: String(name))
                }
                i = text.index(after: close)
                continue
            }
            out.append(c)
            i = next
        }
        return out
    }
}
