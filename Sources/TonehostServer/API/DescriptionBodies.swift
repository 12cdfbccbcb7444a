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
        case sessionID = "sessionid", visualContext, available
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
            case sessionID = "sessionid", visionEnabled, hasVisualContext
        }
    }

    var activeSessions: [Session]
    let totalSessions: Int

    init(activeSessions: [Session]) {
        self.activeSessions = activeSessions
        totalSessions = activeSessions.count
    }
}

/// `GET /api/simulator/pool`: the describer's description pool (`success: false`, empty, when it has none).
struct SimulatorPoolResponse: ResponseEncodable {
    let success: Bool
    var pool: [String]
    let poolSize: Int
    var activeSessions: Int
    var timestamp = Date().timeIntervalSince1970

    init(pool: [String]?, activeSessions: Int) {
        success = pool != nil
        self.pool = pool ?? []
        poolSize = self.pool.count
        self.activeSessions = activeSessions
    }
}

/// `GET /api/get-user-description` (the older contract): `success` is whether a description came.
struct UserDescriptionResponse: ResponseEncodable {
    let success: Bool
    var userDescription: String
    var timestamp = Date().timeIntervalSince1970

    init(userDescription: String) {
        success = !userDescription.isEmpty
        self.userDescription = userDescription
    }
}
