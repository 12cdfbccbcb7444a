import ChatBackends
import TonehostPluginKit

/// OpenAI-compatible embeddings (`POST /v1/embeddings`): vLLM, llama.cpp server, TEI, hosted
/// APIs. The key comes from `api_key`, else the variable named by `api_key_env` (OPENAI_API_KEY).
private let export = PluginExport.asyncEmbedder(
    id: "tonehost.embedder.openai", version: "1.0", description: "OpenAI-compatible embeddings (POST /v1/embeddings)") { host, config in
    try HTTPEmbedder(api: .openAI, host: host, config: config)
}

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
