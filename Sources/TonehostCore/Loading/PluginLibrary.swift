import CTonehostABI
import Crypto
import TonehostText
import Foundation

/// The ABI version this host speaks.
public let hostABIVersion = Int(TONEHOST_ABI_VERSION)

/// Opens plugin libraries: resolves the path, checks the sha256 pin and the ABI version (read
/// from the library's data symbol before anything in it is called), then calls the entry.
/// Libraries are never dlclose()d: a library may hold Swift code, which cannot be unloaded.
enum PluginLibrary {
    /// Directories searched for a bare library file name: TONEHOST_PLUGIN_PATH (colon-separated),
    /// then the directory of the running executable.
    static func searchPath(environment: [String: String]) -> [String] {
        var dirs: [String] = []
        if let p = environment["TONEHOST_PLUGIN_PATH"] {
            dirs += p.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        dirs.append(executableDirectory)
        return dirs
    }

    static let executableDirectory: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (exe as NSString).deletingLastPathComponent
    }()

    /// Where `manifest.library` points: absolute; containing "/" → relative to the manifest's
    /// folder; a bare name → the first match along the search path.
    static func resolve(_ manifest: PluginManifest, environment: [String: String]) throws -> String {
        let lib = manifest.library
        let fm = FileManager.default
        if lib.hasPrefix("/") {
            guard fm.fileExists(atPath: lib) else { throw PluginLoadError(file: manifest.file, reason: "library \(lib) not found") }
            return lib
        }
        if lib.contains("/") {
            let dir = (manifest.file as NSString).deletingLastPathComponent
            let path = ((dir as NSString).appendingPathComponent(lib) as NSString).standardizingPath
            guard fm.fileExists(atPath: path) else {
                throw PluginLoadError(file: manifest.file, reason: "library \(lib) not found (resolved to \(path))")
            }
            return path
        }
        let dirs = searchPath(environment: environment)
        for dir in dirs {
            let path = (dir as NSString).appendingPathComponent(lib)
            if fm.fileExists(atPath: path) { return path }
        }
        throw PluginLoadError(file: manifest.file, reason: "library \(lib) not found (searched \(dirs.joined(separator: ", ")); set TONEHOST_PLUGIN_PATH or give an absolute path)")
    }

    static func sha256(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileReadNoPermission) }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return Hex.string(hasher.finalize())
    }

    /// Opens the library and returns its validated descriptor.
    static func open(_ manifest: PluginManifest, path: String) throws -> UnsafePointer<tonehost_plugin> {
        let file = manifest.file
        if manifest.abiVersion != hostABIVersion {
            throw PluginLoadError(file: file, reason: "manifest declares ABI \(manifest.abiVersion), host speaks ABI \(hostABIVersion)")
        }
        if let pin = manifest.sha256 {
            let actual: String
            do { actual = try sha256(ofFile: path) } catch {
                throw PluginLoadError(file: file, reason: "cannot read library \(path) to check its sha256: \(error)")
            }
            if actual != pin {
                throw PluginLoadError(file: file, reason: "sha256 mismatch for library \(path): manifest pins \(pin), file has \(actual)")
            }
        }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let why = dlerror().map { String(cString: $0) } ?? "unknown error"
            throw PluginLoadError(file: file, reason: "cannot load library \(path): \(why)")
        }
        guard let versionSymbol = dlsym(handle, TONEHOST_PLUGIN_ABI_VERSION_SYMBOL) else {
            throw PluginLoadError(file: file, reason: "library \(path) does not export '\(TONEHOST_PLUGIN_ABI_VERSION_SYMBOL)' (not a tonehost plugin, or built without TONEHOST_PLUGIN_DEFINE_ABI_VERSION)")
        }
        let built = versionSymbol.assumingMemoryBound(to: UInt32.self).pointee
        guard built == TONEHOST_ABI_VERSION else {
            throw PluginLoadError(file: file, reason: "library \(path) built for ABI \(built), host speaks ABI \(hostABIVersion)")
        }
        guard let entrySymbol = dlsym(handle, TONEHOST_PLUGIN_ENTRY_SYMBOL) else {
            throw PluginLoadError(file: file, reason: "library \(path) has no entry symbol '\(TONEHOST_PLUGIN_ENTRY_SYMBOL)'")
        }
        let entry = unsafeBitCast(entrySymbol, to: tonehost_plugin_entry_fn.self)
        guard let descriptor = entry() else {
            throw PluginLoadError(file: file, reason: "library \(path): \(TONEHOST_PLUGIN_ENTRY_SYMBOL)() returned NULL")
        }
        // A host-owned, full-size copy: a plugin built before fields were appended has a shorter
        // descriptor, and reading past it would read whatever follows in its data.
        let size = Int(UnsafeRawPointer(descriptor).load(fromByteOffset: MemoryLayout<tonehost_plugin>.offset(of: \tonehost_plugin.struct_size)!,
                                                          as: UInt32.self))
        let copy = UnsafeMutablePointer<tonehost_plugin>.allocate(capacity: 1)  // lives for the process, like the library
        copy.initialize(to: tonehost_plugin())
        memcpy(copy, descriptor, min(max(0, size), MemoryLayout<tonehost_plugin>.size))
        let d = copy.pointee
        guard d.abi_version == TONEHOST_ABI_VERSION else {
            throw PluginLoadError(file: file, reason: "library \(path) descriptor built for ABI \(d.abi_version), host speaks ABI \(hostABIVersion)")
        }
        // Descriptors grow at the end: a plugin built before tone_stream_begin was appended is
        // still ABI 1 (the host reads the newer fields only when struct_size covers them).
        let abi1Size = MemoryLayout<tonehost_plugin>.offset(of: \tonehost_plugin.tone_stream_begin)!
        guard d.struct_size >= UInt32(abi1Size) else {
            throw PluginLoadError(file: file, reason: "library \(path) descriptor is \(d.struct_size) bytes, ABI \(hostABIVersion) needs at least \(abi1Size)")
        }
        guard let kind = PluginKind(abi: d.kind) else {
            throw PluginLoadError(file: file, reason: "library \(path) declares unknown kind \(d.kind.rawValue)")
        }
        guard kind == manifest.kind else {
            throw PluginLoadError(file: file, reason: "manifest says kind \"\(manifest.kind.rawValue)\" but library \(path) is a \"\(kind.rawValue)\" plugin")
        }
        let hasOperation: Bool
        switch kind {
        case .describer: hasOperation = d.describe != nil
        case .toneSelector: hasOperation = d.select_tone != nil
        case .tone: hasOperation = d.convert_tone != nil
        case .llm: hasOperation = d.generate != nil
        case .retriever: hasOperation = d.retrieve != nil
        case .embedder:
            let needed = MemoryLayout<tonehost_plugin>.offset(of: \tonehost_plugin.embed)! + MemoryLayout<UnsafeRawPointer>.size
            hasOperation = Int(d.struct_size) >= needed && d.embed != nil
        }
        guard hasOperation, d.create != nil, d.destroy != nil else {
            throw PluginLoadError(file: file, reason: "library \(path) descriptor lacks create/destroy or the \(kind.rawValue) operation")
        }
        return UnsafePointer(copy)
    }
}
