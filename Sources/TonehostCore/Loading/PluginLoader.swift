import Foundation
import Logging

/// The outcome of loading one manifest.
public struct ManifestStatus: Sendable {
    public enum State: Sendable {
        /// Loaded and chosen for its role.
        case active
        /// Loaded, but another manifest with a higher priority fills the role.
        case standby(reason: String)
        /// Could not be loaded.
        case failed(PluginLoadError)
    }

    public var file: String
    public var manifest: PluginManifest?
    public var state: State
    public var plugin: PluginInstance?

    /// The slot this manifest fills (nil when it could not be read).
    public var role: PluginRole? {
        guard let manifest else { return nil }
        switch manifest.kind {
        case .describer: return .describer
        case .toneSelector: return .toneSelector
        case .retriever: return .retriever
        case .embedder: return .embedder
        case .tone: return .tone(plugin?.toneCategory ?? manifest.toneCategory ?? "?")
        case .llm: return .llm(manifest.llmRole)
        }
    }
}

/// Every manifest of a directory, loaded, with roles assigned and problems listed.
public struct LoadReport: Sendable {
    public var directory: String
    public var entries: [ManifestStatus]
    /// Role conflicts (two manifests, same role, same priority): the file sorting first wins.
    public var conflicts: [String]
    /// Reasons start-up must stop: a required role without a plugin, a required plugin failing.
    public var fatal: [String]
    /// Problems that do not stop loading, e.g. a library replaced on disk after this process
    /// loaded it (the old code keeps running).
    public var warnings: [String] = []

    public var hasFailures: Bool {
        !conflicts.isEmpty || !fatal.isEmpty || entries.contains { if case .failed = $0.state { return true } else { return false } }
    }
}

/// Loads the active manifest set (`DIR/*.toml`; `DIR/available/` is not read).
public struct PluginLoader: Sendable {
    public var directory: String
    public var environment: [String: String]
    public var logger: Logger
    public var pool: PluginThreadPool
    /// Manifests loaded in addition to the directory's (e.g. an `available/` one a flag enables).
    public var additionalManifests: [String] = []
    /// Refuse manifests and libraries anyone can change (FilePermissions). On unless
    /// `TONEHOST_STRICT_PERMISSIONS` (the `strict_permissions` setting) is false.
    public var strictPermissions: Bool
    /// Load only manifests of these kinds (nil: all). `tonehost ingest` loads the embedder alone.
    public var kinds: Set<PluginKind>? = nil

    public init(directory: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                logger: Logger = Logger(label: "tonehost.plugins"), pool: PluginThreadPool = .shared,
                additionalManifests: [String] = []) {
        self.directory = directory
        self.additionalManifests = additionalManifests
        self.environment = environment
        self.logger = logger
        self.pool = pool
        strictPermissions = !["false", "0", "no", "off"].contains((environment["TONEHOST_STRICT_PERMISSIONS"] ?? "").lowercased())
    }

    /// The manifest files of the active set, sorted by name.
    public func manifestFiles() throws -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw PluginLoadError(file: directory, reason: "manifest directory not found (set --manifests or TONEHOST_MANIFESTS)")
        }
        return try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".toml") }
            .sorted()
            .map { (directory as NSString).appendingPathComponent($0) }
    }

    /// Loads every manifest (blocking: dlopen and plugin create run here; call it off the
    /// cooperative pool, e.g. through `PluginThreadPool.run`).
    public func load() -> LoadReport {
        var entries: [ManifestStatus] = []
        var warnings: [String] = []
        let files: [String]
        do {
            files = try manifestFiles() + additionalManifests
        } catch {
            let e = error as? PluginLoadError ?? PluginLoadError(file: directory, reason: "\(error)")
            return LoadReport(directory: directory, entries: [], conflicts: [], fatal: [e.description])
        }
        // Pass 1: read every manifest, so what one plugin is told about the others (the tone
        // cues a selector gets) is known before any plugin is created.
        var parsed: [(file: String, manifest: Result<PluginManifest, PluginLoadError>)] = []
        for file in files {
            do {
                if strictPermissions, let problem = FilePermissions.problem(file) {
                    throw PluginLoadError(file: file, reason: "manifest refused: \(problem) (strict_permissions)")
                }
                let manifest = try PluginManifest.load(file: file, environment: environment)
                if let kinds, !kinds.contains(manifest.kind) { continue }
                parsed.append((file, .success(manifest)))
            } catch {
                parsed.append((file, .failure(error as? PluginLoadError ?? PluginLoadError(file: file, reason: "\(error)"))))
            }
        }
        let cues = ToneCues.json(parsed.compactMap { try? $0.manifest.get() })
        // Pass 2: load and create.
        for (file, result) in parsed {
            var manifest: PluginManifest?
            do {
                var m = try result.get()
                if m.kind == .toneSelector { m.configJSON = ToneCues.inject(cues, into: m.configJSON) }
                manifest = m
                let path = try PluginLibrary.resolve(m, environment: environment)
                if strictPermissions, !m.allowInsecurePermissions, let problem = FilePermissions.problem(path) {
                    throw PluginLoadError(file: file, reason: "library refused: \(problem) (or set allow_insecure_permissions = true in this manifest)")
                }
                if let changed = LoadedLibraries.shared.changedSinceLoad(path) {
                    logger.warning("plugin library changed on disk", metadata: ["file": "\(file)", "library": "\(path)"])
                    warnings.append("\(file): \(changed)")
                }
                let plugin: PluginInstance
                if m.isolation == .process {
                    guard let executable = IsolatedPlugin.workerExecutable(environment: environment) else {
                        throw PluginLoadError(file: file, reason: "isolation = \"process\" needs the tonehost executable (set TONEHOST_WORKER_EXECUTABLE)")
                    }
                    let isolated = try IsolatedPlugin(manifest: m, executable: executable, logger: logger)
                    LoadedLibraries.shared.record(path)
                    plugin = try PluginInstance(manifest: m, libraryPath: path, descriptor: isolated.makeDescriptor(), logger: logger, pool: pool,
                                                precreated: UnsafeMutableRawPointer(Unmanaged.passRetained(isolated).toOpaque()))
                    isolated.host = plugin.hostAPI
                } else if let simple = m.simple {
                    let (descriptor, instance) = try SimplePlugin.open(m, spec: simple, path: path)
                    LoadedLibraries.shared.record(path)
                    plugin = try PluginInstance(manifest: m, libraryPath: path, descriptor: descriptor, logger: logger, pool: pool,
                                                precreated: instance)
                } else {
                    let descriptor = try PluginLibrary.open(m, path: path)
                    LoadedLibraries.shared.record(path)
                    plugin = try PluginInstance(manifest: m, libraryPath: path, descriptor: descriptor, logger: logger, pool: pool)
                }
                entries.append(ManifestStatus(file: file, manifest: m, state: .active, plugin: plugin))
            } catch {
                let e = error as? PluginLoadError ?? PluginLoadError(file: file, reason: "\(error)")
                logger.error("plugin not loaded", metadata: ["file": "\(file)", "reason": "\(e.reason)"])
                entries.append(ManifestStatus(file: file, manifest: manifest, state: .failed(e), plugin: nil))
            }
        }

        // One plugin per role: highest priority wins; equal priority is a conflict.
        var conflicts: [String] = []
        var byRole: [PluginRole: [Int]] = [:]
        for (i, e) in entries.enumerated() where e.plugin != nil {
            byRole[e.role!, default: []].append(i)
        }
        for (role, indices) in byRole.sorted(by: { $0.key < $1.key }) where indices.count > 1 {
            let ranked = indices.sorted { a, b in
                let pa = entries[a].manifest!.priority, pb = entries[b].manifest!.priority
                return pa != pb ? pa > pb : entries[a].file < entries[b].file
            }
            let winner = entries[ranked[0]]
            for loser in ranked.dropFirst() {
                let lp = entries[loser].manifest!.priority, wp = winner.manifest!.priority
                if lp == wp {
                    conflicts.append("role \(role): \(winner.file) and \(entries[loser].file) both have priority \(wp); using \(winner.file) — give one a higher `priority`")
                }
                // The runner-up answering llm stays loaded as the fallback (see PluginGeneration.fallbackLLM).
                if role == .llm(.answer) && loser == ranked[1] {
                    entries[loser].state = .standby(reason: "fallback answerer: used when \(winner.manifest!.name) fails before its first token")
                    continue
                }
                entries[loser].state = .standby(reason: "role \(role) is filled by \(winner.manifest!.name) (priority \(wp) vs \(lp))")
                entries[loser].plugin = nil  // destroyed: only the active set keeps instances
            }
        }

        var fatal: [String] = []
        for e in entries {
            if case .failed(let err) = e.state, e.manifest?.required == true {
                fatal.append("required plugin failed: \(err)")
            }
        }
        for kind in PluginKind.allCases where kind.isRequiredRole && kinds?.contains(kind) ?? true {
            if !entries.contains(where: { $0.plugin != nil && $0.manifest?.kind == kind && $0.manifest?.llmRole == .answer }) {
                fatal.append("no \(kind.rawValue) plugin loaded from \(directory): the pipeline needs one (enable a manifest from \(directory)/available/ or fix the failing one)")
            }
        }
        return LoadReport(directory: directory, entries: entries, conflicts: conflicts, fatal: fatal, warnings: warnings)
    }
}

/// The set of plugins one request works with: immutable, so a reload can build a new one and
/// swap it in while requests in flight finish on the old one. Instances are destroyed when the
/// last reference to their generation goes away.
public final class PluginGeneration: Sendable {
    public let number: Int
    public let describer: PluginInstance?
    public let toneSelector: PluginInstance?
    /// Tone plugins by category.
    public let tones: [String: PluginInstance]
    public let llm: PluginInstance
    /// The runner-up answering llm (e.g. the extractive answerer behind an Ollama manifest with a
    /// higher priority): answers when `llm` fails before producing any text.
    public let fallbackLLM: PluginInstance?
    /// Rewrites follow-up questions into standalone retrieval queries (llm role "rewrite").
    public let rewriter: PluginInstance?
    /// Serves TONEHOST_HOST_EXT_LLM to plugins (llm role "service", else `llm`).
    public let serviceLLM: PluginInstance
    public let retriever: PluginInstance
    /// Embeds queries (and, for ingest, passages) when an embedder manifest is active.
    public let embedder: PluginInstance?
    public let report: LoadReport

    public struct StartupError: Error, CustomStringConvertible {
        public let reasons: [String]
        public var description: String { "cannot start: " + reasons.joined(separator: "; ") }
    }

    public init(report: LoadReport, number: Int = 1) throws {
        guard report.fatal.isEmpty else { throw StartupError(reasons: report.fatal) }
        let active = report.entries.filter { if case .active = $0.state { return true } else { return false } }.compactMap(\.plugin)
        fallbackLLM = report.entries.first { e in
            if case .standby = e.state, e.plugin?.kind == .llm { return true } else { return false }
        }?.plugin
        func one(_ kind: PluginKind) -> PluginInstance? { active.first { $0.kind == kind } }
        self.number = number
        describer = one(.describer)
        toneSelector = one(.toneSelector)
        var tones: [String: PluginInstance] = [:]
        for p in active where p.kind == .tone { tones[p.toneCategory!] = p }
        self.tones = tones
        func llmRole(_ role: LLMRole) -> PluginInstance? { active.first { $0.kind == .llm && $0.manifest.llmRole == role } }
        llm = llmRole(.answer)!
        rewriter = llmRole(.rewrite)
        serviceLLM = llmRole(.service) ?? llm
        retriever = one(.retriever)!
        embedder = one(.embedder)
        self.report = report
        for p in active {
            p.hostAPI.bindServiceLLM(p === serviceLLM ? nil : serviceLLM)
            p.hostAPI.bindEmbedder(p === embedder ? nil : embedder)
        }
    }

    /// Tone categories with a loaded plugin, sorted.
    public var toneCategories: [String] { tones.keys.sorted() }
}
