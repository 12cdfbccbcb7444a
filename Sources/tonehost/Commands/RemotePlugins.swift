import ArgumentParser
import CurlHTTP
import Foundation
import TonehostCore

/// `plugins list --url`: a running host's `GET /admin/plugins`.
enum RemotePlugins {
    struct Answer: Decodable {
        var generation: Int
        var plugins: [PluginStatusRow]
    }

    static func fetch(base: String, apiKey: String?) async throws -> [PluginStatusRow] {
        let url = (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/admin/plugins"
        let headers = apiKey.map { ["Authorization: Bearer \($0)"] } ?? []
        let client = CurlHTTPClient()
        let result: Result<(status: Int, body: Data), CurlHTTPClient.Failure> = await withCheckedContinuation { c in
            _ = client.fetch(.init(url: url, headers: headers, timeoutMilliseconds: 10_000)) { c.resume(returning: $0) }
        }
        switch result {
        case .failure(let f):
            throw ValidationError("cannot reach \(url): \(f.message)")
        case .success(let (status, body)) where status != 200:
            throw ValidationError("\(url) answered \(status): \(String(decoding: body.prefix(500), as: UTF8.self))")
        case .success(let (_, body)):
            do {
                return try JSONDecoder().decode(Answer.self, from: body).plugins
            } catch {
                throw ValidationError("\(url) did not answer a plugin list: \(error)")
            }
        }
    }
}
