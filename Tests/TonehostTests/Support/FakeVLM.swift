import Foundation
import Hummingbird
import NIOCore

/// A fake description (VLM) service on 127.0.0.1, speaking the description contract with a
/// configurable behaviour: a description, a delay, invalid JSON, missing fields, HTTP 500.
final class FakeVLM: @unchecked Sendable {
    enum Behaviour: Sendable {
        case describe(String)
        case sleep(seconds: Double, then: String)
        case invalidJSON
        case missingFields
        case serverError
        case unavailable
    }

    let port = ServerProcess.freePort()
    private var task: Task<Void, Error>?
    private let lock = NSLock()
    private var calls = 0

    var url: String { "http://127.0.0.1:\(port)" }
    var callCount: Int { lock.lock(); defer { lock.unlock() }; return calls }

    init(_ behaviour: Behaviour) async throws {
        let router = Router()
        let counter = self
        router.get("visual-context/:id") { _, context -> Response in
            counter.count()
            let id = context.parameters.get("id") ?? "?"
            switch behaviour {
            case .describe(let text):
                return FakeVLM.json(["sessionid": id, "visual_context": text, "available": true])
            case .sleep(let seconds, let text):
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                return FakeVLM.json(["sessionid": id, "visual_context": text, "available": true])
            case .invalidJSON:
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{not json")))
            case .missingFields:
                return FakeVLM.json(["sessionid": id])
            case .serverError:
                return Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: "boom")))
            case .unavailable:
                return FakeVLM.json(["sessionid": id, "visual_context": NSNull(), "available": false])
            }
        }
        router.get("health") { _, _ in Response(status: .ok) }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
        task = Task { try await app.run() }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let r = try? await HTTP.getAsync("\(url)/health", timeout: 1), r.status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private func count() { lock.lock(); calls += 1; lock.unlock() }

    static func json(_ object: [String: Any]) -> Response {
        let data = try! JSONSerialization.data(withJSONObject: object)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func stop() { task?.cancel() }
    deinit { task?.cancel() }
}
