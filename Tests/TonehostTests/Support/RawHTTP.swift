import Foundation

/// Exact bytes over a TCP connection to 127.0.0.1, for what an HTTP client library will not send:
/// unnormalised paths (`/./`, `/../`), broken framing, partial requests, slow clients.
final class RawConnection {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { close(fd); throw NSError(domain: "RawConnection", code: Int(errno)) }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buf in _ = Glibc.send(fd, buf.baseAddress, buf.count, Int32(MSG_NOSIGNAL)) }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// Reads until the peer closes or `timeout` passes; `closed` says which.
    func readAll(timeout: Double) -> (data: [UInt8], closed: Bool) {
        var out: [UInt8] = []
        let end = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < end {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = Int32(max(1, end.timeIntervalSinceNow * 1000))
            guard poll(&p, 1, left) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return (out, true) }
            out += buffer[0..<n]
        }
        return (out, false)
    }

    /// Reads one response with a Content-Length body (or until close); nil when nothing came.
    func readResponse(timeout: Double) -> RawResponse? {
        var out: [UInt8] = []
        let end = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < end {
            if let r = RawResponse(out), r.complete { return r }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(max(1, end.timeIntervalSinceNow * 1000))) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return RawResponse(out)
    }

    /// One request on a new connection; the response (nil when the server sent nothing).
    static func exchange(port: Int, _ request: String, timeout: Double = 10) throws -> RawResponse? {
        let c = try RawConnection(port: port)
        c.send(request)
        return c.readResponse(timeout: timeout)
    }
}

struct RawResponse {
    var status: Int
    var headers: [String: String]
    var body: String
    var complete: Bool

    init?(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        guard let first = lines.first, first.hasPrefix("HTTP/1."), let code = Int(first.split(separator: " ")[1]) else { return nil }
        status = code
        var h: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            h[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        headers = h
        body = String(text[split.upperBound...])
        if let length = h["content-length"].flatMap(Int.init) {
            complete = body.utf8.count >= length
        } else {
            complete = h["transfer-encoding"] == nil  // chunked: read until close
        }
    }
}
