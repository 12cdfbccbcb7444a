import Foundation
import Hummingbird
import NIOCore

/// The kiosk page (`GET /` with `/kiosk.js` and `/kiosk.css`) and the OpenAPI document
/// (`GET /openapi.json`): static files of the host, read once at start-up. The page comes from
/// `web_root` when set, else the copy bundled with the host; no build step makes them.
struct KioskRoutes {
    let files: StaticFiles

    func register(on router: Router<TonehostRequestContext>) {
        router.get("/") { _, _ in try files.response("index.html") }
        router.get("kiosk.js") { _, _ in try files.response("kiosk.js") }
        router.get("kiosk.css") { _, _ in try files.response("kiosk.css") }
        router.get("openapi.json") { _, _ in try files.response("openapi.json") }
    }
}

/// A fixed set of small files held in memory: only these names are ever served, so no
/// request path reaches the file system.
struct StaticFiles: Sendable {
    private let contents: [String: (bytes: ByteBuffer, type: String)]
    /// Why a file is missing, for the 404 and the start-up warning.
    let problems: [String]

    static let web = ["index.html", "kiosk.js", "kiosk.css"]

    /// `webRoot` (or the bundled `web/`) for the page, the bundled `openapi.json` for the API.
    init(webRoot: String?) {
        var contents: [String: (bytes: ByteBuffer, type: String)] = [:]
        var problems: [String] = []
        let bundled = Self.bundledResources()
        let webDir = webRoot ?? bundled.map { $0 + "/web" }
        func load(_ name: String, from dir: String?) {
            guard let dir else { problems.append("\(name): the bundled resources (tonehost_TonehostServer.resources) are not installed beside this program"); return }
            let path = dir + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else { problems.append("\(path): not found or not readable"); return }
            contents[name] = (bytes: ByteBuffer(bytes: data), type: Self.type(of: name))
        }
        for name in Self.web { load(name, from: webDir) }
        load("openapi.json", from: bundled)
        self.contents = contents
        self.problems = problems
    }

    func response(_ name: String) throws -> Response {
        guard let file = contents[name] else {
            throw APIError(.notFound, "\(name) is not installed: " + (problems.first { $0.contains(name) } ?? "missing"))
        }
        return Response(status: .ok, headers: [.contentType: file.type, .cacheControl: "no-cache"], body: .init(byteBuffer: file.bytes))
    }

    private static func type(of name: String) -> String {
        if name.hasSuffix(".html") { return "text/html; charset=utf-8" }
        if name.hasSuffix(".js") { return "text/javascript; charset=utf-8" }
        if name.hasSuffix(".css") { return "text/css; charset=utf-8" }
        return "application/json"
    }

    /// The `Resources` folder: SwiftPM's bundle beside the executable, else the source tree
    /// (development builds run from the checkout).
    static func bundledResources() -> String? {
        let fm = FileManager.default
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [
            executable.appendingPathComponent("tonehost_TonehostServer.resources/Resources").path,
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Resources").path,
        ]
        return candidates.first { fm.fileExists(atPath: $0 + "/openapi.json") }
    }
}
