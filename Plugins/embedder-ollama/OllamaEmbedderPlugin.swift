import ChatBackends
import TonehostPluginKit

/// Ollama embeddings (`POST /api/embed`, e.g. bge-m3 as the original deployment used). Base URL
/// from `base_url`, else OLLAMA_HOST, else http://127.0.0.1:11434.
private let export = PluginExport.asyncEmbedder(
    id: "tonehost.embedder.ollama", version: "1.0", description: "Ollama embeddings (POST /api/embed)") { host, config in
    try HTTPEmbedder(api: .ollama, host: host, config: config)
}

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
