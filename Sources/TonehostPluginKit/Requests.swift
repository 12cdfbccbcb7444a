import CTonehostABI
@_exported import TonehostTypes

/// Requests as Swift values, copied out of the host's borrowed C structs.
public struct DescribeRequest: Sendable {
    public var sessionID: String
    public var imageBase64: String
}

public struct SelectRequest: Sendable {
    public var userDescription: String
    public var language: String
    public var categories: [String]
}

/// A tone request: the segment to convert (read its fields as `request.text`,
/// `request.isFinal` …) and this answer's state.
@dynamicMemberLookup
public struct ToneRequest: Sendable {
    public var segment: ToneSegment
    /// What `TonePlugin.beginAnswer` returned for this answer (nil outside an answer stream).
    public var stream: AnyObject? = nil

    public subscript<T>(dynamicMember key: WritableKeyPath<ToneSegment, T>) -> T {
        get { segment[keyPath: key] }
        set { segment[keyPath: key] = newValue }
    }
}


public struct RetrieveRequest: Sendable {
    public var query: String
    public var language: String
    public var topK: Int
    /// The query's embedding when the host has an embedder ([] otherwise), and its model.
    public var queryVector: [Float] = []
    public var vectorModel: String = ""

    public init(query: String, language: String, topK: Int, queryVector: [Float] = [], vectorModel: String = "") {
        self.query = query
        self.language = language
        self.topK = topK
        self.queryVector = queryVector
        self.vectorModel = vectorModel
    }

    init(_ p: UnsafePointer<tonehost_retrieve_request>) {
        let r = p.pointee
        self.init(query: str(r.query), language: str(r.language), topK: Int(r.top_k))
        // Appended fields: read only when the host's struct reaches them.
        let needed = MemoryLayout<tonehost_retrieve_request>.offset(of: \tonehost_retrieve_request.vector_model)! + MemoryLayout<UnsafeRawPointer>.size
        if Int(r.struct_size) >= needed, let v = r.query_vector, r.vector_dimension > 0 {
            queryVector = Array(UnsafeBufferPointer(start: v, count: Int(r.vector_dimension)))
            vectorModel = str(r.vector_model)
        }
    }
}

/// Texts to embed and what for.
public struct EmbedRequest: Sendable {
    public var texts: [String]
    public var purpose: EmbeddingPurpose

    public init(texts: [String], purpose: EmbeddingPurpose) {
        self.texts = texts
        self.purpose = purpose
    }
}

@inline(__always) func str(_ p: UnsafePointer<CChar>?) -> String {
    guard let p else { return "" }
    return String(cString: p)
}

extension RetrievedPassage {
    init(_ p: tonehost_passage) {
        self.init(id: str(p.id), title: str(p.title), content: str(p.content), source: str(p.source),
                  language: str(p.language), score: p.score)
    }
}

extension LLMRequest {
    init(_ r: tonehost_llm_request) {
        // Elements are read with the host's strides (appended fields); older hosts: ABI-1 sizes.
        let hasStrides = Int(r.struct_size) >= MemoryLayout<tonehost_llm_request>.offset(of: \tonehost_llm_request.passage_stride)! + MemoryLayout<Int>.size
        let messageStride = hasStrides && r.message_stride > 0 ? r.message_stride : MemoryLayout<tonehost_message>.stride
        let passageStride = hasStrides && r.passage_stride > 0 ? r.passage_stride : MemoryLayout<tonehost_passage>.stride
        var messages: [ChatMessage] = []
        if let m = r.messages {
            for i in 0..<r.message_count {
                let e = (UnsafeRawPointer(m) + i * messageStride).assumingMemoryBound(to: tonehost_message.self).pointee
                messages.append(ChatMessage(role: str(e.role), content: str(e.content)))
            }
        }
        var passages: [RetrievedPassage] = []
        if let p = r.passages {
            for i in 0..<r.passage_count {
                passages.append(RetrievedPassage((UnsafeRawPointer(p) + i * passageStride).assumingMemoryBound(to: tonehost_passage.self).pointee))
            }
        }
        self.init(purpose: str(r.purpose), messages: messages, question: str(r.question), language: str(r.language),
                  passages: passages, temperature: r.temperature < 0 ? nil : r.temperature,
                  maxTokens: r.max_tokens <= 0 ? nil : Int(r.max_tokens))
    }
}
