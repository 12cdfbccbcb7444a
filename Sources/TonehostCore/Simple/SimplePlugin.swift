import CTonehostABI
import CTonehostFFI
import Foundation

/// What a manifest's `[simple]` table declares: a plain C function (no tonehost header, no ABI
/// symbols) the host calls through libffi.
///
///     [simple]
///     signature = "char *teen(const char *text, const char *language)"
///     free = "teen_free"        # optional: `void teen_free(char *)` releases each result;
///                               # "free" = libc free(); absent = the result is borrowed (static
///                               # or thread-local storage, valid until the next call on the
///                               # thread) and copied by the host at once
///     init = "teen_init"        # optional: `int teen_init(const char *config_json)`, called once
///                               # at load with the [config] table; non-zero refuses the plugin
///     streaming = true          # tones: call once per sentence instead of once per answer
public struct SimpleSpec: Sendable, Equatable {
    public var signature: SimpleSignature
    public var free: String?
    public var initializer: String?
    public var streaming: Bool
}

/// Loads simple plugins and serves them through the ordinary plugin machinery: one shared
/// descriptor per kind whose operations unpack the request, call the C function with libffi on
/// the host's plugin threads (deadlines and cancellation as for any plugin: the host stops
/// waiting), and emit the returned string. A NULL result is a failure.
enum SimplePlugin {
    /// Resolves the symbols, runs `init`, and returns the descriptor and instance to create a
    /// `PluginInstance` with. Errors name the manifest and the symbol.
    static func open(_ manifest: PluginManifest, spec: SimpleSpec, path: String) throws -> (UnsafePointer<tonehost_plugin>, UnsafeMutableRawPointer) {
        let file = manifest.file
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let why = dlerror().map { String(cString: $0) } ?? "unknown error"
            throw PluginLoadError(file: file, reason: "cannot load library \(path): \(why)")
        }
        func symbol(_ name: String, _ role: String) throws -> UnsafeMutableRawPointer {
            guard let p = dlsym(handle, name) else {
                throw PluginLoadError(file: file, reason: "library \(path) does not export '\(name)' (the \(role) the manifest's [simple] table names)")
            }
            return p
        }
        let function = try symbol(spec.signature.function, "function")
        let release: SimpleInstance.Release
        switch spec.free {
        case nil: release = .borrowed
        case "free"?: release = .libcFree
        case let name?: release = .function(try symbol(name, "free function"))
        }
        if let initName = spec.initializer {
            let initFunction = try symbol(initName, "init function")
            var status: Int32 = 0
            var error = [CChar](repeating: 0, count: 256)
            let rc = manifest.configJSON.withCString { config -> Int32 in
                var arg: UnsafePointer<CChar>? = config
                return withUnsafeMutablePointer(to: &arg) { argPointer -> Int32 in
                    var values: [UnsafeMutableRawPointer?] = [UnsafeMutableRawPointer(argPointer)]
                    var types: [tonehost_ffi_type] = [TONEHOST_FFI_POINTER]
                    return tonehost_ffi_call(unsafeBitCast(initFunction, to: (@convention(c) () -> Void).self), 1, &types, &values,
                                             TONEHOST_FFI_INT32, &status, &error, error.count)
                }
            }
            if rc != 0 { throw PluginLoadError(file: file, reason: "cannot call \(initName): \(String(cString: error))") }
            if status != 0 { throw PluginLoadError(file: file, reason: "\(initName)(config) returned \(status); the plugin refused its config") }
        }
        let instance = SimpleInstance(spec: spec, function: function, release: release, name: manifest.name)
        return (descriptor(manifest.kind, streaming: spec.streaming), UnsafeMutableRawPointer(Unmanaged.passRetained(instance).toOpaque()))
    }

    /// One descriptor per kind (and streaming flag), made once, never freed.
    private static let descriptors = Locked<[String: UnsafePointer<tonehost_plugin>]>([:])

    static func descriptor(_ kind: PluginKind, streaming: Bool) -> UnsafePointer<tonehost_plugin> {
        descriptors.mutate { table in
            let key = "\(kind.rawValue)/\(streaming)"
            if let d = table[key] { return d }
            let d = UnsafeMutablePointer<tonehost_plugin>.allocate(capacity: 1)
            d.initialize(to: tonehost_plugin())
            d.pointee.abi_version = TONEHOST_ABI_VERSION
            d.pointee.struct_size = UInt32(MemoryLayout<tonehost_plugin>.size)
            d.pointee.id = UnsafePointer(strdup("tonehost.simple-symbol"))
            d.pointee.version = UnsafePointer(strdup("1"))
            d.pointee.description = UnsafePointer(strdup("a plain C function called through libffi"))
            d.pointee.flags = kind == .tone && streaming ? TONEHOST_FLAG_TONE_STREAMING : 0
            d.pointee.create = { _, _, error, size in
                CErrorBuffer.write("simple plugins are created by the host", into: error, size: size)
                return nil
            }
            d.pointee.destroy = { instance in
                guard let instance else { return }
                Unmanaged<SimpleInstance>.fromOpaque(instance).release()
            }
            switch kind {
            case .tone:
                d.pointee.kind = TONEHOST_KIND_TONE
                d.pointee.convert_tone = { SimpleInstance.run($0, $1, SimpleParameterTables.tone, $2, $3) }
            case .toneSelector:
                d.pointee.kind = TONEHOST_KIND_TONE_SELECTOR
                d.pointee.select_tone = { instance, request, call, api in
                    guard let r = request?.pointee else { return TONEHOST_ERR_INVALID_ARGUMENT }
                    let categories = (0..<r.category_count).compactMap { r.categories?[$0].map { String(cString: $0) } }.joined(separator: ",")
                    return categories.withCString { list in
                        let request = SimpleSelectorRequest(request: r, categories: list)
                        return SimpleInstance.from(instance).run(call, api) { SimpleParameterTables.toneSelector.value($0, of: request) }
                    }
                }
            case .describer:
                d.pointee.kind = TONEHOST_KIND_DESCRIBER
                d.pointee.describe = { SimpleInstance.run($0, $1, SimpleParameterTables.describer, $2, $3) }
            case .retriever:
                d.pointee.kind = TONEHOST_KIND_RETRIEVER
                d.pointee.retrieve = { SimpleInstance.run($0, $1, SimpleParameterTables.retriever, $2, $3, passages: true) }
            case .llm, .embedder:
                preconditionFailure("llm and embedder plugins cannot be simple (the manifest parser refuses them)")
            }
            table[key] = UnsafePointer(d)
            return UnsafePointer(d)
        }
    }
}

/// One simple plugin: its function, how its results are released, and the order of its arguments.
final class SimpleInstance: @unchecked Sendable {
    enum Release {
        case borrowed
        case libcFree
        case function(UnsafeMutableRawPointer)
    }

    enum Argument {
        case string(UnsafePointer<CChar>?)
        case int(Int32)
    }

    let spec: SimpleSpec
    let function: UnsafeMutableRawPointer
    let release: Release
    let name: String

    init(spec: SimpleSpec, function: UnsafeMutableRawPointer, release: Release, name: String) {
        self.spec = spec
        self.function = function
        self.release = release
        self.name = name
    }

    static let empty = UnsafePointer(strdup("")!)

    static func from(_ p: UnsafeMutableRawPointer?) -> SimpleInstance {
        Unmanaged<SimpleInstance>.fromOpaque(p!).takeUnretainedValue()
    }

    /// Calls the instance's function for `request`, the arguments read through `parameters`
    /// (TONEHOST_ERR_INVALID_ARGUMENT without a request).
    static func run<Request>(_ instance: UnsafeMutableRawPointer?, _ request: UnsafePointer<Request>?, _ parameters: SimpleParameters<Request>,
                             _ call: OpaquePointer?, _ api: UnsafePointer<tonehost_call_api>?, passages: Bool = false) -> tonehost_status {
        guard let r = request?.pointee else { return TONEHOST_ERR_INVALID_ARGUMENT }
        return from(instance).run(call, api, passages: passages) { parameters.value($0, of: r) }
    }

    /// Calls the function with the arguments `value(name)` gives for its declared parameters,
    /// then emits the result (text, or for a retriever a JSON array of passages).
    func run(_ call: OpaquePointer?, _ api: UnsafePointer<tonehost_call_api>?, passages: Bool = false,
             _ value: (String) -> Argument?) -> tonehost_status {
        guard let call, let api = api?.pointee else { return TONEHOST_ERR_INVALID_ARGUMENT }
        func fail(_ status: tonehost_status, _ message: String) -> tonehost_status {
            message.withCString { api.fail(call, status, $0) }
            return status
        }
        let parameters = spec.signature.parameters
        // Storage for the argument values; libffi gets a pointer to each.
        let stringSlots = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: max(1, parameters.count))
        let intSlots = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, parameters.count))
        defer { stringSlots.deallocate(); intSlots.deallocate() }
        var types: [tonehost_ffi_type] = []
        var values: [UnsafeMutableRawPointer?] = []
        for (i, p) in parameters.enumerated() {
            switch value(p.name) {
            case .string(let s)?:
                (stringSlots + i).initialize(to: s ?? SimpleInstance.empty)  // never NULL
                types.append(TONEHOST_FFI_POINTER)
                values.append(UnsafeMutableRawPointer(stringSlots + i))
            case .int(let n)?:
                (intSlots + i).initialize(to: n)
                types.append(p.type == .uint ? TONEHOST_FFI_UINT32 : TONEHOST_FFI_INT32)
                values.append(UnsafeMutableRawPointer(intSlots + i))
            case nil:
                return fail(TONEHOST_ERR_INTERNAL, "the host has no value for parameter '\(p.name)'")
            }
        }
        var result: UnsafeMutablePointer<CChar>?
        var error = [CChar](repeating: 0, count: 256)
        let rc = tonehost_ffi_call(unsafeBitCast(function, to: (@convention(c) () -> Void).self), UInt32(parameters.count),
                                   &types, &values, TONEHOST_FFI_POINTER, &result, &error, error.count)
        if rc != 0 { return fail(TONEHOST_ERR_INTERNAL, "cannot call \(spec.signature.function): \(String(cString: error))") }
        guard let result else { return fail(TONEHOST_ERR_INTERNAL, "\(spec.signature.function) returned NULL") }
        let text = String(cString: result)
        switch release {
        case .borrowed: break
        case .libcFree: free(result)
        case .function(let f):
            var arg: UnsafeMutableRawPointer? = UnsafeMutableRawPointer(result)
            withUnsafeMutablePointer(to: &arg) { p in
                var argValues: [UnsafeMutableRawPointer?] = [UnsafeMutableRawPointer(p)]
                var argTypes: [tonehost_ffi_type] = [TONEHOST_FFI_POINTER]
                var ignored = 0
                _ = tonehost_ffi_call(unsafeBitCast(f, to: (@convention(c) () -> Void).self), 1, &argTypes, &argValues,
                                      TONEHOST_FFI_VOID, &ignored, &error, error.count)
            }
        }
        if passages { return emitPassages(text, call, api, fail) }
        let bytes = Array(text.utf8)
        let stopped = bytes.withUnsafeBufferPointer { b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(1, b.count)) { api.emit(call, $0, b.count) }
        }
        return stopped != 0 ? TONEHOST_ERR_CANCELLED : TONEHOST_OK
    }

    /// A retriever's result: a JSON array of {"content", "title"?, "source"?, "id"?, "language"?, "score"?}.
    private func emitPassages(_ json: String, _ call: OpaquePointer, _ api: tonehost_call_api,
                              _ fail: (tonehost_status, String) -> tonehost_status) -> tonehost_status {
        guard let array = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [Any] else {
            return fail(TONEHOST_ERR_BAD_RESPONSE, "\(spec.signature.function) must return a JSON array of passages, found \(json.prefix(80).debugDescription)")
        }
        for (i, item) in array.enumerated() {
            guard let o = item as? [String: Any], let content = o["content"] as? String else {
                return fail(TONEHOST_ERR_BAD_RESPONSE, "passage \(i + 1) of \(spec.signature.function) needs a string \"content\"")
            }
            func s(_ k: String) -> String { o[k] as? String ?? "" }
            let strings = CStrings()
            var p = tonehost_passage(struct_size: UInt32(MemoryLayout<tonehost_passage>.size),
                                     id: strings.make(o["id"].map { "\($0)" } ?? "\(name)-\(i)"), title: strings.make(s("title")),
                                     content: strings.make(content), source: strings.make(s("source")),
                                     language: strings.make(s("language")), score: (o["score"] as? Double) ?? Double(array.count - i))
            let stopped = withExtendedLifetime(strings) { api.emit_passage(call, &p) }
            if stopped != 0 { return TONEHOST_ERR_CANCELLED }
        }
        return TONEHOST_OK
    }
}
