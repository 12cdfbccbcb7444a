import Foundation
import Hummingbird

// The session endpoints of `/api/rag-llm` (MISSION §5).

/// `POST /api/rag-llm/close`.
struct CloseRequest: Decodable {
    var sessionID: String

    init(from decoder: any Decoder) throws {
        let fields = try RequestFields(decoder)
        sessionID = try fields.requiredString("session_id", maxBytes: fields.limits.sessionIDBytes)
    }
}

/// `GET /api/rag-llm/sessions/{id}/history`.
struct HistoryResponse: ResponseEncodable {
    struct Message: Encodable {
        var role: String
        var content: String
    }

    var sessionID: String
    var history: [Message]
    var messageCount: Int { history.count }

    enum CodingKeys: String, CodingKey {
        case history
        case sessionID = "session_id", messageCount = "message_count"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sessionID, forKey: .sessionID)
        try c.encode(history, forKey: .history)
        try c.encode(messageCount, forKey: .messageCount)
    }
}

/// `DELETE /api/rag-llm/sessions/{id}/history`.
struct HistoryClearedResponse: ResponseEncodable {
    var sessionID: String
    var message = "History cleared"
    var messagesCleared: Int

    enum CodingKeys: String, CodingKey {
        case message
        case sessionID = "session_id", messagesCleared = "messages_cleared"
    }
}

/// `POST /api/rag-llm/close`: the session's history is cleared (and its cached description dropped).
struct CloseResponse: ResponseEncodable {
    var sessionID: String
    var messagesCleared: Int
    var timestamp = Date().timeIntervalSince1970

    var sessionExisted: Bool { messagesCleared > 0 }
    var message: String { sessionExisted ? "Session closed" : "Session closed (it had no history)" }

    enum CodingKeys: String, CodingKey {
        case success, message, timestamp
        case sessionID = "session_id", sessionExisted = "session_existed", messagesCleared = "messages_cleared"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(true, forKey: .success)
        try c.encode(sessionID, forKey: .sessionID)
        try c.encode(message, forKey: .message)
        try c.encode(sessionExisted, forKey: .sessionExisted)
        try c.encode(messagesCleared, forKey: .messagesCleared)
        try c.encode(timestamp, forKey: .timestamp)
    }
}
