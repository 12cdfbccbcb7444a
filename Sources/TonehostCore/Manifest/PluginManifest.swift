import Foundation
import TOMLKit

/// One plugin instance as declared by a TOML file in the manifests directory.
///
///     name = "elder-tone"
///     kind = "tone"                       # describer | tone_selector | tone | llm | retriever | embedder
///     library = "libtonehost-tone-elder.so"
///     abi_version = 1
///     tone_category = "elder_friendly"    # tone plugins only (else the plugin's own)
///     priority = 0                        # highest wins when several fill one role
///     required = false                    # true: start-up fails if this plugin fails
///     deadline_ms = 5000                  # per-call deadline (describer default 5000)
///     sha256 = "…"                        # optional pin of the library file
///     [config]                            # handed to the plugin as JSON; ${VAR:-default} expanded
public struct PluginManifest: Sendable {
    public var file: String
    public var name: String
    public var kind: PluginKind
    public var library: String
    public var abiVersion: Int
    public var toneCategory: String?
    public var priority: Int
    public var required: Bool
    public var deadlineMilliseconds: Int?
    public var sha256: String?
    /// llm plugins: what they are for (`role = "…"`; nil: `.answer`).
    public var role: LLMRole?
    /// An llm plugin's role, `.answer` unless the manifest says otherwise.
    public var llmRole: LLMRole { role ?? .answer }
    /// The [config] table, env references expanded, as a JSON object.
    public var configJSON: String
    /// Load the library even if anyone can change it (world-writable file or folder). The
    /// manifest itself is always checked.
    public var allowInsecurePermissions = false
    /// A `[simple]` table: the library is a plain shared object whose C function the host calls
    /// through libffi (no tonehost ABI symbols); nil for tonehost-ABI libraries.
    public var simple: SimpleSpec?
    /// Tones: which visitors this tone is for (`[cues]`), offered to rule-based selectors.
    public var cues: ToneCues?
    /// At most this many operation calls of the plugin run at once (`max_concurrency`); more
    /// wait without holding a thread. nil: no limit.
    public var maxConcurrency: Int?
    /// Where the plugin runs: in the host's process (default) or in a worker process of its own,
    /// so a crash fails only its calls (`isolation = "process"`).
    public enum Isolation: String, Sendable { case inProcess = "in-process", process }
    public var isolation: Isolation = .inProcess
    /// Isolated plugins: the worker's address-space limit (RLIMIT_AS) and CPU time (RLIMIT_CPU).
    public var memoryLimitMegabytes: Int?
    public var cpuLimitSeconds: Int?
    /// Embedders: at most this many texts per embed call (`batch_size`, default 32).
    public var batchSize: Int = 32

    static let knownKeys: Set<String> = [
        "name", "kind", "library", "abi_version", "tone_category", "priority", "required", "deadline_ms", "sha256", "config", "description", "role",
        "allow_insecure_permissions", "simple", "cues", "max_concurrency", "isolation", "memory_limit_mb", "cpu_limit_seconds",
        "batch_size",
    ]

    /// Parses a manifest file. Errors name the file and the problem.
    public static func load(file: String, environment: [String: String]) throws -> PluginManifest {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw PluginLoadError(file: file, reason: "cannot read manifest: \(error.localizedDescription)")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw PluginLoadError(file: file, reason: "bad TOML at line \(e.source.begin.line), column \(e.source.begin.column): \(e.description)")
        } catch {
            throw PluginLoadError(file: file, reason: "bad TOML: \(error)")
        }
        func fail(_ reason: String) -> PluginLoadError { PluginLoadError(file: file, reason: reason) }
        func string(_ key: String, required: Bool) throws -> String? {
            guard let v = table[key] else {
                if required { throw fail("missing required key '\(key)'") }
                return nil
            }
            guard let s = v.string else { throw fail("key '\(key)' must be a string, found \(v.type)") }
            do { return try EnvironmentExpansion.expand(s, environment: environment) } catch { throw fail("key '\(key)': \(error)") }
        }
        func int(_ key: String) throws -> Int? {
            guard let v = table[key] else { return nil }
            guard let n = v.int else { throw fail("key '\(key)' must be an integer, found \(v.type)") }
            return n
        }

        for key in table.keys where !knownKeys.contains(key) {
            throw fail("unknown key '\(key)' (known: \(knownKeys.sorted().joined(separator: ", ")))")
        }
        let name = try string("name", required: true)!
        let kindText = try string("kind", required: true)!
        guard let kind = PluginKind(rawValue: kindText) else {
            throw fail("unknown kind '\(kindText)'; expected one of \(PluginKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let library = try string("library", required: true)!
        let simple = try parseSimple(table["simple"], kind: kind, fail: fail)
        // A simple plugin has no ABI symbols; abi_version, when given, must still match.
        guard let abi = try int("abi_version") ?? (simple != nil ? hostABIVersion : nil) else {
            throw fail("missing required key 'abi_version' (this host speaks ABI \(hostABIVersion))")
        }
        let category = try string("tone_category", required: false)
        if category != nil && kind != .tone { throw fail("'tone_category' is only valid for kind \"tone\", this is \"\(kind.rawValue)\"") }
        var required = false
        if let r = table["required"] {
            guard let b = r.bool else { throw fail("key 'required' must be true or false, found \(r.type)") }
            required = b
        }
        var role: LLMRole?
        if let name = try string("role", required: false) {
            guard kind == .llm else { throw fail("'role' is only valid for kind \"llm\", this is \"\(kind.rawValue)\"") }
            guard let r = LLMRole(rawValue: name) else {
                throw fail("unknown llm role '\(name)'; expected one of \(LLMRole.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            role = r
        }
        let deadline = try int("deadline_ms")
        if let d = deadline, d <= 0 { throw fail("'deadline_ms' must be positive, found \(d)") }
        let sha = try string("sha256", required: false)?.lowercased()
        if let sha, sha.count != 64 || !sha.allSatisfy(\.isHexDigit) {
            throw fail("'sha256' must be 64 hex digits, found \"\(sha)\"")
        }
        var configJSON = category.map { "{\"tone_category\":\(jsonString($0))}" } ?? "{}"
        if kind != .tone { configJSON = "{}" }
        if let c = table["config"] {
            guard let ct = c.table else { throw fail("'config' must be a table ([config]), found \(c.type)") }
            do {
                configJSON = try expandJSON(ct.convert(to: .json), environment: environment, toneCategory: kind == .tone ? category : nil)
            } catch let e as EnvironmentExpansion.UnsetVariable {
                throw fail("[config]: \(e)")
            } catch {
                throw fail("[config]: cannot convert to JSON: \(error)")
            }
        }
        var manifest = PluginManifest(file: file, name: name, kind: kind, library: library, abiVersion: abi, toneCategory: category,
                                      priority: try int("priority") ?? 0, required: required, deadlineMilliseconds: deadline,
                                      sha256: sha, role: role, configJSON: configJSON)
        manifest.simple = simple
        if let text = try string("isolation", required: false) {
            guard let isolation = Isolation(rawValue: text) else { throw fail("'isolation' must be \"in-process\" or \"process\", found \"\(text)\"") }
            manifest.isolation = isolation
        }
        for (key, value) in [("memory_limit_mb", try int("memory_limit_mb")), ("cpu_limit_seconds", try int("cpu_limit_seconds"))] {
            guard let value else { continue }
            guard value > 0 else { throw fail("'\(key)' must be positive, found \(value)") }
            guard manifest.isolation == .process else { throw fail("'\(key)' needs isolation = \"process\" (limits apply to a worker process)") }
            if key == "memory_limit_mb" { manifest.memoryLimitMegabytes = value } else { manifest.cpuLimitSeconds = value }
        }
        if manifest.isolation == .process && kind == .embedder {
            throw fail("isolation = \"process\" is not available for embedders yet; remove it (embedders run in the host's process)")
        }
        if let n = try int("batch_size") {
            guard kind == .embedder else { throw fail("'batch_size' is only valid for kind \"embedder\", this is \"\(kind.rawValue)\"") }
            guard n > 0 else { throw fail("'batch_size' must be positive, found \(n)") }
            manifest.batchSize = n
        }
        if let n = try int("max_concurrency") {
            guard n > 0 else { throw fail("'max_concurrency' must be positive, found \(n)") }
            manifest.maxConcurrency = n
        }
        manifest.cues = try parseCues(table["cues"], kind: kind, fail: fail)
        if manifest.cues != nil && category == nil {
            throw fail("'cues' needs tone_category in the manifest (the selector is told the category before the library is loaded)")
        }
        if let v = table["allow_insecure_permissions"] {
            guard let b = v.bool else { throw fail("key 'allow_insecure_permissions' must be true or false, found \(v.type)") }
            manifest.allowInsecurePermissions = b
        }
        return manifest
    }


    /// The `[cues]` table (see ToneCues), validated.
    private static func parseCues(_ value: TOMLValueConvertible?, kind: PluginKind,
                                  fail: (String) -> PluginLoadError) throws -> ToneCues? {
        guard let value else { return nil }
        guard kind == .tone else { throw fail("'cues' is only valid for kind \"tone\", this is \"\(kind.rawValue)\"") }
        guard let t = value.table else { throw fail("'cues' must be a table ([cues]), found \(value.type)") }
        let known: Set<String> = ["en", "zh", "precedence"]
        for key in t.keys where !known.contains(key) {
            throw fail("[cues]: unknown key '\(key)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        func list(_ key: String) throws -> [String] {
            guard let v = t[key] else { return [] }
            guard let a = v.array else { throw fail("[cues]: '\(key)' must be an array of strings, found \(v.type)") }
            return try a.map { item in
                guard let s = item.string?.trimmingCharacters(in: .whitespaces), !s.isEmpty else {
                    throw fail("[cues]: '\(key)' must hold non-empty strings, found \(item)")
                }
                return s
            }
        }
        var first = true
        if let v = t["precedence"] {
            guard let p = v.string, ToneCues.precedences.contains(p) else {
                throw fail("[cues]: 'precedence' must be \"first\" or \"last\", found \(v)")
            }
            first = p == "first"
        }
        let cues = ToneCues(english: try list("en"), chinese: try list("zh"), first: first)
        if cues.english.isEmpty && cues.chinese.isEmpty { throw fail("[cues]: give at least one cue in 'en' or 'zh'") }
        return cues
    }

    /// The `[simple]` table (see SimpleSpec), validated: the signature parses and names only
    /// what the host passes to this kind.
    private static func parseSimple(_ value: TOMLValueConvertible?, kind: PluginKind,
                                    fail: (String) -> PluginLoadError) throws -> SimpleSpec? {
        guard let value else { return nil }
        guard let t = value.table else { throw fail("'simple' must be a table ([simple]), found \(value.type)") }
        let known: Set<String> = ["signature", "free", "init", "streaming"]
        for key in t.keys where !known.contains(key) {
            throw fail("[simple]: unknown key '\(key)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        guard let signatureValue = t["signature"] else {
            throw fail("[simple]: missing required key 'signature' (a C declaration, e.g. \"char *teen(const char *text)\")")
        }
        guard let text = signatureValue.string else { throw fail("[simple]: 'signature' must be a string, found \(signatureValue.type)") }
        let signature: SimpleSignature
        do { signature = try SimpleSignature.parse(text, kind: kind) } catch { throw fail("[simple] signature: \(error)") }
        func symbolName(_ key: String) throws -> String? {
            guard let v = t[key] else { return nil }
            guard let s = v.string, SimpleSignature.isIdentifier(s) else { throw fail("[simple]: '\(key)' must be a C symbol name, found \(v)") }
            return s
        }
        var streaming = false
        if let v = t["streaming"] {
            guard let b = v.bool else { throw fail("[simple]: 'streaming' must be true or false, found \(v.type)") }
            guard kind == .tone else { throw fail("[simple]: 'streaming' is only valid for kind \"tone\"") }
            streaming = b
        }
        return SimpleSpec(signature: signature, free: try symbolName("free"), initializer: try symbolName("init"), streaming: streaming)
    }

    private static func jsonString(_ s: String) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: [s])) ?? Data("[\"\"]".utf8), as: UTF8.self).dropFirst().dropLast().description
    }

    /// Expands env references in every string of a JSON document (and adds tone_category).
    private static func expandJSON(_ json: String, environment: [String: String], toneCategory: String?) throws -> String {
        var object = try JSONSerialization.jsonObject(with: Data(json.utf8))
        if let toneCategory, var dict = object as? [String: Any], dict["tone_category"] == nil {
            dict["tone_category"] = toneCategory
            object = dict
        }
        func walk(_ v: Any) throws -> Any {
            if let s = v as? String { return try EnvironmentExpansion.expand(s, environment: environment) }
            if let d = v as? [String: Any] { return try d.mapValues(walk) }
            if let a = v as? [Any] { return try a.map(walk) }
            return v
        }
        let data = try JSONSerialization.data(withJSONObject: try walk(object), options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

/// What an llm manifest is for.
public enum LLMRole: String, Sendable, CaseIterable {
    /// Generates the answers (the default).
    case answer
    /// Rewrites follow-up questions into standalone retrieval queries.
    case rewrite
    /// Serves TONEHOST_HOST_EXT_LLM (`tonehost.llm.v1`) to other plugins.
    case service
}

/// A slot one plugin fills (the highest priority wins): a kind, a tone category, an llm role.
public enum PluginRole: Hashable, Sendable, Comparable, CustomStringConvertible {
    case describer, toneSelector, retriever, embedder
    case tone(String)
    case llm(LLMRole)

    /// "describer", "llm:answer", "tone:elder_friendly" … (logs, conflicts, the reload answer).
    public var description: String {
        switch self {
        case .describer: return PluginKind.describer.rawValue
        case .toneSelector: return PluginKind.toneSelector.rawValue
        case .retriever: return PluginKind.retriever.rawValue
        case .embedder: return PluginKind.embedder.rawValue
        case .tone(let category): return "tone:\(category)"
        case .llm(let role): return "llm:\(role.rawValue)"
        }
    }

    public static func < (a: PluginRole, b: PluginRole) -> Bool { a.description < b.description }
}
