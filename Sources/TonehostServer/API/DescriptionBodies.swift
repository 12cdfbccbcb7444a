import Foundation
import Hummingbird

// The description (vision) service contract (MISSION §5), served by `describe-server`.

/// `GET /health` of the description service.
struct DescriberHealthResponse: ResponseEncodable {
    var status = "healthy"
    var describer: String
    var timestamp = Date().timeIntervalSince1970
}

/// `GET /visual-context/{sessionid}`: `visual_context` is `null` when nothing was described.
struct VisualContextResponse: ResponseEncodable {
    var sessionID: String
    var visualContext: String?
    var available: Bool { visualContext != nil }

    enum CodingKeys: String, CodingKey {
        case available
        case sessionID = "sessionid", visualContext = "visual_context"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sessionID, forKey: .sessionID)
        if let visualContext { try c.encode(visualContext, forKey: .visualContext) } else { try c.encodeNil(forKey: .visualContext) }
        try c.encode(available, forKey: .available)
    }
}

/// `GET /sessions`: the sessions this service has described.
struct SessionsResponse: ResponseEncodable {
    struct Session: Encodable {
        var sessionID: String
        var visionEnabled = true
        var hasVisualContext: Bool

        enum CodingKeys: String, CodingKey {
            case sessionID = "sessionid", visionEnabled = "vision_enabled", hasVisualContext = "has_visual_context"
        }
    }

    var activeSessions: [Session]
    var totalSessions: Int { activeSessions.count }

    enum CodingKeys: String, CodingKey {
        case activeSessions = "active_sessions", totalSessions = "total_sessions"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(activeSessions, forKey: .activeSessions)
        try c.encode(totalSessions, forKey: .totalSessions)
    }
}

/// `GET /api/simulator/pool`: the describer's description pool (`success: false`, empty, when it has none).
struct SimulatorPoolResponse: ResponseEncodable {
    var pool: [String]?
    var activeSessions: Int
    var timestamp = Date().timeIntervalSince1970

    enum CodingKeys: String, CodingKey {
        case success, pool, timestamp
        case poolSize = "pool_size", activeSessions = "active_sessions"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pool != nil, forKey: .success)
        try c.encode(pool?.count ?? 0, forKey: .poolSize)
        try c.encode(pool ?? [], forKey: .pool)
        try c.encode(activeSessions, forKey: .activeSessions)
        try c.encode(timestamp, forKey: .timestamp)
    }
}

/// `GET /api/get-user-description` (the older contract): `success` is whether a description came.
struct UserDescriptionResponse: ResponseEncodable {
    var userDescription: String
    var timestamp = Date().timeIntervalSince1970

    enum CodingKeys: String, CodingKey {
        case success, timestamp
        case userDescription = "user_description"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(!userDescription.isEmpty, forKey: .success)
        try c.encode(userDescription, forKey: .userDescription)
        try c.encode(timestamp, forKey: .timestamp)
    }
}
