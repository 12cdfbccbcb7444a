import Foundation

/// The wire between the host and a plugin worker (`tonehost plugin-worker`): one JSON object per
/// line, both ways, over the worker's stdin (host → worker) and stdout (worker → host).
///
/// host → worker: `{"id":N,"op":"tone"|"select"|"describe"|"retrieve"|"generate","deadline_ms":M,…fields}`,
///                `{"id":N,"op":"cancel"}`
/// worker → host: `{"ready":{"id","version","flags","tone_category"}}` once loaded, or
///                `{"fatal":"reason"}`; per call any number of `{"id":N,"text":"…"}` /
///                `{"id":N,"passage":{…}}`, then `{"id":N,"done":0}` or
///                `{"id":N,"done":STATUS,"error":"message"}`.
enum WorkerProtocol {
    static func encode(_ object: [String: Any]) -> Data {
        var data = (try? JSONSerialization.data(withJSONObject: object, options: [])) ?? Data("{}".utf8)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    static func decode(_ line: Data) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: line)) as? [String: Any]
    }

    /// Splits a byte stream into lines.
    struct LineReader {
        private var buffer = Data()

        mutating func push(_ data: Data) -> [Data] {
            buffer.append(data)
            var lines: [Data] = []
            while let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(buffer[buffer.startIndex..<nl])
                buffer.removeSubrange(buffer.startIndex...nl)
            }
            return lines
        }
    }
}
