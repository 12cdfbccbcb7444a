import CTonehostABI
import Foundation
import Logging

/// The `tonehost_host_api` table handed to one plugin instance: logging labelled with the
/// manifest name. Lives exactly as long as the instance.
final class HostAPI: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<tonehost_host_api>
    let logger: Logger

    init(pluginName: String, logger: Logger) {
        var logger = logger
        logger[metadataKey: "plugin"] = .string(pluginName)
        self.logger = logger
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: tonehost_host_api(
            struct_size: UInt32(MemoryLayout<tonehost_host_api>.size),
            abi_version: TONEHOST_ABI_VERSION,
            host_data: nil,
            log: { api, level, message in
                guard let api, let data = api.pointee.host_data, let message else { return }
                let host = Unmanaged<HostAPI>.fromOpaque(data).takeUnretainedValue()
                let text = String(cString: message)
                switch level {
                case TONEHOST_LOG_TRACE: host.logger.trace("\(text)")
                case TONEHOST_LOG_DEBUG: host.logger.debug("\(text)")
                case TONEHOST_LOG_INFO: host.logger.info("\(text)")
                case TONEHOST_LOG_WARNING: host.logger.warning("\(text)")
                default: host.logger.error("\(text)")
                }
            },
            get_extension: { api, id in
                guard let api, let data = api.pointee.host_data, let id else { return nil }
                let host = Unmanaged<HostAPI>.fromOpaque(data).takeUnretainedValue()
                switch String(cString: id) {
                case TONEHOST_HOST_EXT_LLM: return UnsafeRawPointer(HostLLMService.table)
                case TONEHOST_HOST_EXT_EMBEDDER: return host.embedder == nil ? nil : UnsafeRawPointer(HostEmbedderService.table)
                default:
                    host.logger.debug("plugin asked for an extension this host does not offer", metadata: ["extension": "\(String(cString: id))"])
                    return nil
                }
            }))
        // Unretained: the HostAPI owns the table and outlives every use of it.
        pointer.pointee.host_data = Unmanaged.passUnretained(self).toOpaque()
    }

    /// The llm plugin serving TONEHOST_HOST_EXT_LLM for this instance; bound when the
    /// instance's generation is assembled (after every instance was created).
    private struct Binding {
        var llm: PluginInstance?
        var forwarder: ChatForwarder?
        var embedder: PluginInstance?
    }
    private let binding = Locked(Binding())

    func bindServiceLLM(_ llm: PluginInstance?) {
        binding.mutate { $0.llm = llm }
    }

    /// The embedder serving TONEHOST_HOST_EXT_EMBEDDER (nil: the extension is not offered).
    func bindEmbedder(_ embedder: PluginInstance?) {
        binding.mutate { $0.embedder = embedder }
    }

    var embedder: PluginInstance? { binding.value.embedder }

    /// How an isolated plugin's worker reaches the host's LLM: set in the worker, it carries the
    /// chat to the host (which runs its bound llm) and streams the text back.
    typealias ChatForwarder = @Sendable (GenerationInput, Duration?, @escaping @Sendable (String) -> Void) async throws -> Void

    var chatForwarder: ChatForwarder? {
        get { binding.value.forwarder }
        set { binding.mutate { $0.forwarder = newValue } }
    }

    var serviceLLM: PluginInstance? { binding.value.llm }

    deinit {
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }
}
