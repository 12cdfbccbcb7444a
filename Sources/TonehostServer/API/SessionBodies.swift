import Foundation
import Hummingbird
import TonehostTypes

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
    var sessionID: String
    var history: [ChatMessage]
    let messageCount: Int

    init(sessionID: String, history: [ChatMessage]) {
        self.sessionID = sessionID
        self.history = history
        messageCount = history.count
    }
}

/// `DELETE /api/rag-llm/sessions/{id}/history`.
struct HistoryClearedResponse: ResponseEncodable {
    var sessionID: String
    var message = "History cleared"
    var messagesCleared: Int
}

/// `POST /api/rag-llm/close`: the session's history is cleared (and its cached description dropped).
struct CloseResponse: ResponseEncodable {
    let success = true
    var sessionID: String
    var message: String
    var sessionExisted: Bool
    var messagesCleared: Int
    var timestamp = Date().timeIntervalSince1970

    init(sessionID: String, messagesCleared: Int) {
        self.sessionID = sessionID
        self.messagesCleared = messagesCleared
        sessionExisted = messagesCleared > 0
        message = sessionExisted ? "Session closed" : "Session closed (it had no history)"
    }
}
