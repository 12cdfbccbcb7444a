import ChatBackends
import TonehostPluginKit

/// OpenAI-compatible chat completions (`POST /v1/chat/completions`, SSE streaming): vLLM,
/// llama.cpp server, LM Studio, hosted APIs. Base URL from `base_url`, else OPENAI_BASE_URL;
/// key from `api_key`, else the variable named by `api_key_env` (default OPENAI_API_KEY).
private let export = PluginExport.asyncLLM(
    id: "tonehost.llm.openai", version: "1.0", description: "OpenAI-compatible chat backend (streaming SSE)") { host, config in
    try HTTPChatLLM(api: .openAI, host: host, config: config)
}

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
