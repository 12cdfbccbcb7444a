import ChatBackends
import TonehostPluginKit

/// Ollama (`POST /api/chat`, NDJSON streaming). Base URL from `base_url`, else OLLAMA_HOST,
/// else http://127.0.0.1:11434.
private let export = PluginExport.asyncLLM(
    id: "tonehost.llm.ollama", version: "1.0", description: "Ollama chat backend (streaming NDJSON)") { host, config in
    try HTTPChatLLM(api: .ollama, host: host, config: config)
}

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
