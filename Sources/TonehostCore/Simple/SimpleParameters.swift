import CTonehostABI

/// What the host passes to a simple plugin of one kind: each parameter name a manifest's
/// signature may use, its C types, its meaning, and where its value comes from in the kind's C
/// request. The one place a parameter is spelled: `SimpleSignature.parse` validates names and
/// types against it, the descriptor's callbacks read values through it.
struct SimpleParameters<Request> {
    struct Entry {
        let name: String
        let types: [SimpleSignature.CType]
        let meaning: String
        let read: (Request) -> SimpleInstance.Argument
    }

    let entries: [Entry]

    init(_ entries: [(String, [SimpleSignature.CType], String, (Request) -> SimpleInstance.Argument)]) {
        self.entries = entries.map { Entry(name: $0.0, types: $0.1, meaning: $0.2, read: $0.3) }
    }

    /// The value of parameter `name` for `request` (nil: not something this kind passes).
    func value(_ name: String, of request: Request) -> SimpleInstance.Argument? {
        entries.first { $0.name == name }?.read(request)
    }

    var described: [(name: String, types: [SimpleSignature.CType], meaning: String)] {
        entries.map { ($0.name, $0.types, $0.meaning) }
    }
}

/// A tone selector's request with its category list already joined ("child_friendly,elder_friendly").
struct SimpleSelectorRequest {
    let request: tonehost_select_request
    let categories: UnsafePointer<CChar>
}

enum SimpleParameterTables {
    static let tone = SimpleParameters<tonehost_tone_request>([
        ("text", [.string], "the answer, or one sentence of it", { .string($0.text) }),
        ("language", [.string], "\"en\" or \"zh-TW\"", { .string($0.language) }),
        ("user_description", [.string], "the visitor, as the describer saw them (\"\" when unknown)", { .string($0.user_description) }),
        ("user_msg", [.string], "the visitor's question", { .string($0.user_msg) }),
        ("first_message", [.int], "1 on the session's first answer (a greeting is welcome), else 0", { .int($0.first_message) }),
        ("segment_index", [.int, .uint], "0, 1, 2 … per sentence when streaming; 0 otherwise", { .int(Int32(clamping: $0.segment_index)) }),
        ("is_final", [.int], "1 on the last call of an answer (a closing line is welcome), else 0", { .int($0.is_final) }),
        ("session_id", [.string], "the kiosk session", { .string($0.session_id) }),
    ])

    static let toneSelector = SimpleParameters<SimpleSelectorRequest>([
        ("user_description", [.string], "the visitor's description (never empty)", { .string($0.request.user_description) }),
        ("language", [.string], "\"en\" or \"zh-TW\"", { .string($0.request.language) }),
        ("categories", [.string], "the loaded tone categories, comma-separated", { .string($0.categories) }),
    ])

    static let describer = SimpleParameters<tonehost_describe_request>([
        ("session_id", [.string], "the kiosk session", { .string($0.session_id) }),
        ("image_base64", [.string], "a camera frame (base64) or \"\"", { .string($0.image_base64) }),
    ])

    static let retriever = SimpleParameters<tonehost_retrieve_request>([
        ("query", [.string], "the search query", { .string($0.query) }),
        ("language", [.string], "\"en\" or \"zh-TW\"", { .string($0.language) }),
        ("top_k", [.int, .uint], "return at most this many passages", { .int(Int32(clamping: $0.top_k)) }),
    ])
}
