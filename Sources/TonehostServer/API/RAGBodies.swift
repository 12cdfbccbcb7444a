import Foundation
import Hummingbird

// The bodies of the original `/api/rag-llm/*` API and the main `/health` (MISSION §5).

/// `POST /api/rag-llm/query` and `/query-with-tone`. `tone` is deprecated and ignored, as in
/// the original service.
struct QueryRequest: Decodable {
    /// `text_user_msg`.
    var question: String
    /// `session_id`; "default" when absent or empty.
    var sessionID: String
    /// `include_history`, default true.
    var includeHistory: Bool
    var userDescription: String?
    /// `convert_tone`; the default is the endpoint's (false on query, true on query-with-tone).
    var convertTone: Bool?
    /// `image`: a base64 camera frame for the describer; "" when absent.
    var image: String

    init(from decoder: any Decoder) throws {
        let fields = try RequestFields(decoder)
        let limits = fields.limits
        question = try fields.requiredString("text_user_msg", maxLength: limits.messageLength)
        sessionID = try fields.string("session_id", maxBytes: limits.sessionIDBytes).flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        includeHistory = try fields.bool("include_history", default: true)
        userDescription = try fields.string("user_description", maxLength: limits.descriptionLength)
        convertTone = try fields.bool("convert_tone")
        image = try fields.string("image", maxBytes: limits.imageBytes) ?? ""
    }
}

/// `POST /api/rag-llm/convert-tone`.
struct ConvertToneRequest: Decodable {
    var text: String
    /// The tone category; "child_friendly" when absent or empty.
    var tone: String
    /// Stream the converted text (default) or answer `ConvertToneResponse`.
    var stream: Bool
    var userDescription: String
    /// `user_msg`: the question the text answers, for tones that use it.
    var userMessage: String

    init(from decoder: any Decoder) throws {
        let fields = try RequestFields(decoder)
        let limits = fields.limits
        text = try fields.requiredString("text", maxLength: limits.messageLength * 4)
        tone = try fields.string("tone", maxBytes: 128).flatMap { $0.isEmpty ? nil : $0 } ?? "child_friendly"
        stream = try fields.bool("stream", default: true)
        userDescription = try fields.string("user_description", maxLength: limits.descriptionLength) ?? ""
        userMessage = try fields.string("user_msg", maxLength: limits.messageLength) ?? ""
    }
}

/// `POST /api/rag-llm/convert-tone` with `"stream": false`.
struct ConvertToneResponse: ResponseEncodable {
    var success = true
    var originalText: String
    var convertedText: String
    var tone: String
    var userDescription: String
}

/// `GET /health` of the main API.
struct HealthResponse: ResponseEncodable {
    var status = "healthy"
    var ragInitialized: Bool
    var timestamp = Date().timeIntervalSince1970
}

/// `POST /api/rag-llm/init` (500 with `success: false` when the knowledge base fails).
struct InitResponse: ResponseEncodable {
    var success: Bool
    var ragInitialized: Bool
    var message: String
}

/// `POST /api/rag-llm/warmup`: the retriever (`embedding_model`) and the LLM warmed in parallel.
struct WarmupResponse: ResponseEncodable {
    var embeddingModel: WarmupStep
    var llmModel: WarmupStep
    let overallSuccess: Bool
    var timestamp = Date().timeIntervalSince1970

    init(embeddingModel: WarmupStep, llmModel: WarmupStep) {
        self.embeddingModel = embeddingModel
        self.llmModel = llmModel
        overallSuccess = embeddingModel.status != .error && llmModel.status != .error
    }
}

/// One plugin's warm-up: what happened, and how long it took (milliseconds, rounded).
struct WarmupStep: Encodable {
    enum Status: String, Encodable { case success, skipped, error }
    var status: Status
    var message: String
    /// `time_ms`.
    var timeMs: Double
}
