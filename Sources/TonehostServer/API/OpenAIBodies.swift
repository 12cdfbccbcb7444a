import Foundation
import Hummingbird
import TonehostTypes

// The bodies of the OpenAI-compatible façade (`/v1/chat/completions`, `/v1/models`), in the
// shapes OpenAI's SDKs read. Extra fields (`tone`, `session_id`) are tonehost's own.

/// `POST /v1/chat/completions`. The last message is the question (it must be the user's);
/// earlier `user`/`assistant` messages are the history, unless a session is named (`user` or
/// `session_id`), whose stored history is used and extended instead. `system`/`developer`
/// messages are ignored: the answer's prompt is the host's.
struct ChatCompletionRequest: Decodable {
    /// `tonehost` (the selector picks the tone) or `tonehost-<category>` (that tone).
    var model: String
    var question: String
    /// Earlier turns from `messages`, oldest first.
    var history: [ChatMessage]
    var stream: Bool
    /// `session_id`, else `user`: nil when neither is given (nothing is stored).
    var sessionID: String?
    var includeHistory: Bool
    var userDescription: String?
    /// `tone`: a category that overrides the model name's.
    var tone: String?
    /// `convert_tone`, default true (`tonehost-original` also turns it off).
    var convertTone: Bool

    init(from decoder: any Decoder) throws {
        let fields = try RequestFields(decoder)
        let limits = fields.limits
        model = try fields.string("model", maxBytes: 128).flatMap { $0.isEmpty ? nil : $0 } ?? OpenAIModels.auto
        guard let messages = try fields.array("messages") else { throw APIError(.badRequest, "missing required field 'messages'") }
        var turns: [ChatMessage] = []
        for (index, value) in messages.enumerated() {
            guard case .object(let message) = value else { throw APIError(.badRequest, "'messages[\(index)]' must be an object") }
            guard case .string(let role)? = message["role"] else {
                throw APIError(.badRequest, "'messages[\(index)].role' must be a string (user, assistant or system)")
            }
            turns.append(ChatMessage(role: role, content: try Self.text(of: message["content"], at: index, limit: limits.messageLength * 4)))
        }
        guard let last = turns.last else { throw APIError(.badRequest, "'messages' must not be empty") }
        guard last.role == "user" else {
            throw APIError(.badRequest, "'messages[\(turns.count - 1)].role' is '\(last.role)'; the last message must be the user's question")
        }
        guard !last.content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError(.badRequest, "'messages[\(turns.count - 1)].content' must not be empty")
        }
        let scalars = last.content.unicodeScalars.count
        if scalars > limits.messageLength {
            throw APIError(.badRequest, "'messages[\(turns.count - 1)].content' is \(scalars) characters; the limit is \(limits.messageLength)")
        }
        question = last.content
        history = turns.dropLast().filter { $0.role == "user" || $0.role == "assistant" }
        stream = try fields.bool("stream", default: false)
        let session = try fields.string("session_id", maxBytes: limits.sessionIDBytes) ?? fields.string("user", maxBytes: limits.sessionIDBytes)
        sessionID = session.flatMap { $0.isEmpty ? nil : $0 }
        includeHistory = try fields.bool("include_history", default: true)
        userDescription = try fields.string("user_description", maxLength: limits.descriptionLength)
        tone = try fields.string("tone", maxBytes: 128).flatMap { $0.isEmpty ? nil : $0 }
        convertTone = try fields.bool("convert_tone", default: true)
    }

    /// A message's `content`: a string, or an array of parts of which the `text` ones count;
    /// at most `limit` characters (the question itself is held to `max_message_length` after).
    private static func text(of content: JSONValue?, at index: Int, limit: Int) throws -> String {
        let text: String
        switch content {
        case nil, .null?: text = ""
        case .string(let s)?: text = s
        case .array(let parts)?:
            text = try parts.enumerated().map { i, part -> String in
                guard case .object(let p) = part, case .string(let type)? = p["type"] else {
                    throw APIError(.badRequest, "'messages[\(index)].content[\(i)]' must be an object with a 'type'")
                }
                guard type == "text" else { return "" }
                guard case .string(let t)? = p["text"] else {
                    throw APIError(.badRequest, "'messages[\(index)].content[\(i)].text' must be a string")
                }
                return t
            }.joined()
        default:
            throw APIError(.badRequest, "'messages[\(index)].content' must be a string or an array of content parts")
        }
        if text.utf8.count > limit, text.unicodeScalars.count > limit {
            throw APIError(.badRequest, "'messages[\(index)].content' is \(text.unicodeScalars.count) characters; the limit is \(limit)")
        }
        return text
    }
}

/// The façade's model names: `tonehost` and one `tonehost-<category>` per loaded tone, plus
/// `tonehost-original` (no tone conversion).
enum OpenAIModels {
    static let auto = "tonehost"
    static let original = "tonehost-original"
    static let prefix = "tonehost-"

    static func names(categories: [String]) -> [String] {
        [auto, original] + categories.map { prefix + $0 }
    }
}

/// `GET /v1/models`.
struct ModelList: ResponseEncodable {
    struct Model: Encodable {
        var id: String
        var object = "model"
        var created: Int
        var ownedBy = "tonehost"
    }
    var object = "list"
    var data: [Model]

    init(names: [String], created: Int) {
        data = names.map { Model(id: $0, created: created) }
    }
}

/// `POST /v1/chat/completions`: the whole completion (`ChatCompletion`, `chat.completion`) or
/// one `data:` event of a streamed one (`ChatCompletionChunk`, `chat.completion.chunk`) — one
/// envelope, its choices carrying the message or a delta.
struct Completion<Choice: CompletionChoice>: Encodable {
    var id: String
    var object = Choice.object
    var created: Int
    var model: String
    var choices: [Choice]
    /// tonehost's: the tone the answer was converted to (absent without conversion).
    var tone: String?
}

/// A choice of a `Completion`, and the `object` name of a completion made of it.
protocol CompletionChoice: Encodable {
    static var object: String { get }
}

typealias ChatCompletion = Completion<MessageChoice>
typealias ChatCompletionChunk = Completion<DeltaChoice>

/// A choice of a completion without `stream`: the whole message.
struct MessageChoice: CompletionChoice {
    static let object = "chat.completion"
    var index = 0
    var message: ChatMessage
    var finishReason = "stop"
}

/// A choice of a streamed chunk. `finish_reason` is written as `null` until the last chunk, as
/// OpenAI does.
struct DeltaChoice: CompletionChoice {
    static let object = "chat.completion.chunk"
    struct Delta: Encodable {
        var role: String?
        var content: String?
    }
    var index = 0
    var delta: Delta
    var finishReason: String?

    enum CodingKeys: String, CodingKey { case index, delta, finishReason }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(delta, forKey: .delta)
        try c.encode(finishReason, forKey: .finishReason)  // `null` included
    }
}

/// OpenAI's error shape: `{"error": {"message", "type", "param", "code"}}`.
struct OpenAIErrorBody: ResponseEncodable {
    struct Detail: Encodable {
        var message: String
        var type: String
        var param: String?
        var code: String?

        enum CodingKeys: String, CodingKey { case message, type, param, code }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(message, forKey: .message)
            try c.encode(type, forKey: .type)
            try c.encode(param, forKey: .param)
            try c.encode(code, forKey: .code)
        }
    }
    var error: Detail

    /// The error type OpenAI's SDKs expect for a status.
    init(status: HTTPResponse.Status, message: String, code: String? = nil) {
        let type: String
        switch status.code {
        case 401: type = "authentication_error"
        case 403: type = "permission_error"
        case 404: type = "not_found_error"
        case 429: type = "rate_limit_error"
        case 500...: type = "server_error"
        default: type = "invalid_request_error"
        }
        error = Detail(message: message, type: type, param: nil, code: code)
    }
}
