import TonehostText

/// The plain C function a "simple" plugin exports, as its manifest declares it in C syntax:
///
///     [simple]
///     signature = "char *teen(const char *text, const char *language)"
///
/// Each parameter's *name* says what the host passes (see `SimpleSignature.arguments`), its type
/// must be the C type the host passes for it, and the function returns a string (`char *`).
public struct SimpleSignature: Sendable, Equatable {
    public enum CType: String, Sendable {
        case string = "const char *"
        case int = "int"
        case uint = "unsigned int"
    }

    public struct Parameter: Sendable, Equatable {
        public var name: String
        public var type: CType
    }

    public var function: String
    public var parameters: [Parameter]

    /// What the host can pass to a simple plugin of each kind, by parameter name, with its C type
    /// (derived from `SimpleParameterTables`, where each parameter is declared once).
    public static var arguments: [PluginKind: [(name: String, types: [CType], meaning: String)]] {
        [.tone: SimpleParameterTables.tone.described, .toneSelector: SimpleParameterTables.toneSelector.described,
         .describer: SimpleParameterTables.describer.described, .retriever: SimpleParameterTables.retriever.described]
    }

    /// Parses `signature`; `kind` decides which parameter names are valid. The error says what
    /// was expected and what was found.
    public static func parse(_ signature: String, kind: PluginKind) throws(SimpleSignatureError) -> SimpleSignature {
        var text = signature.trimmingWhitespace()
        if text.hasSuffix(";") { text.removeLast() }
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close,
              String(text[text.index(after: close)...]).trimmingWhitespace().isEmpty else {
            throw SimpleSignatureError("expected a C declaration like \"char *name(const char *text)\", found \"\(signature)\"")
        }
        let head = tokens(String(text[..<open]))
        guard let name = head.last, isIdentifier(name) else {
            throw SimpleSignatureError("no function name before '(' in \"\(signature)\"")
        }
        let returnType = head.dropLast().filter { $0 != "const" }.joined(separator: " ")
        guard returnType == "char *" else {
            throw SimpleSignatureError("\(name) must return a string (char *), found \"\(returnType.isEmpty ? "nothing" : returnType)\"")
        }
        guard let allowed = arguments[kind] else {
            throw SimpleSignatureError("kind \"\(kind.rawValue)\" cannot be a simple plugin; simple plugins are \(supportedKinds)")
        }
        let inner = String(text[text.index(after: open)..<close]).trimmingWhitespace()
        var parameters: [Parameter] = []
        if !inner.isEmpty && inner != "void" {
            for (i, piece) in inner.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
                let t = tokens(String(piece))
                guard let pname = t.last, isIdentifier(pname), t.count >= 2 else {
                    throw SimpleSignatureError("parameter \(i + 1) of \(name) needs a type and a name, found \"\(String(piece).trimmingWhitespace())\"")
                }
                let ctypeText = t.dropLast().filter { $0 != "const" }.joined(separator: " ")
                guard let ctype = cType(ctypeText) else {
                    throw SimpleSignatureError("parameter '\(pname)' of \(name) has unknown type \"\(ctypeText)\"; expected const char *, int or unsigned int")
                }
                guard let known = allowed.first(where: { $0.name == pname }) else {
                    throw SimpleSignatureError("parameter '\(pname)' of \(name) is not something the host passes to a \(kind.rawValue); expected some of \(allowed.map(\.name).joined(separator: ", "))")
                }
                guard known.types.contains(ctype) else {
                    throw SimpleSignatureError("parameter '\(pname)' of \(name) must be \(known.types.map(\.rawValue).joined(separator: " or ")), found \(ctype.rawValue)")
                }
                guard !parameters.contains(where: { $0.name == pname }) else {
                    throw SimpleSignatureError("parameter '\(pname)' of \(name) appears twice")
                }
                parameters.append(Parameter(name: pname, type: ctype))
            }
        }
        return SimpleSignature(function: name, parameters: parameters)
    }

    static var supportedKinds: String {
        [PluginKind.tone, .toneSelector, .describer, .retriever].map(\.rawValue).joined(separator: ", ")
    }

    private static func cType(_ text: String) -> CType? {
        switch text {
        case "char *": return .string
        case "int", "int32_t", "bool", "_Bool", "signed", "signed int": return .int
        case "unsigned", "unsigned int", "uint32_t": return .uint
        default: return nil
        }
    }

    /// "const char *text" → ["const", "char", "*", "text"].
    private static func tokens(_ s: String) -> [String] {
        s.replacingOccurrences(of: "*", with: " * ").split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
    }

    static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}

public struct SimpleSignatureError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
