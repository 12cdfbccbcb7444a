import CCurl
import TonehostTypes
import Foundation

/// An asynchronous HTTP client on libcurl's multi interface: one thread drives every transfer
/// of the process (or plugin), so a hundred slow requests need no hundred threads. Connections
/// are reused across requests. Thread-safe; callbacks run on the client's thread and must not
/// block.
public final class CurlHTTPClient: @unchecked Sendable {
    public struct Request: Sendable {
        public var url: String
        public var method: String
        public var headers: [String]
        public var body: Data?
        /// Whole-transfer limit; nil = none.
        public var timeoutMilliseconds: Int?
        public var connectTimeoutMilliseconds: Int

        public init(url: String, method: String = "GET", headers: [String] = [], body: Data? = nil,
                    timeoutMilliseconds: Int? = nil, connectTimeoutMilliseconds: Int = 3000) {
            self.url = url; self.method = method; self.headers = headers; self.body = body
            self.timeoutMilliseconds = timeoutMilliseconds; self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        }
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public enum Kind: Sendable { case timeout, unreachable, cancelled, other }
        public let kind: Kind
        public let message: String
        public var description: String { message }
    }

    /// A transfer in flight; `cancel()` stops it (the completion then reports `.cancelled`).
    public final class Transfer: @unchecked Sendable {
        fileprivate let request: Request
        fileprivate let onData: (Data) -> Bool
        fileprivate let onHeader: ((String) -> Void)?
        fileprivate let completion: (Result<Int, Failure>) -> Void
        fileprivate var easy: UnsafeMutableRawPointer?
        fileprivate var headerList: UnsafeMutablePointer<curl_slist>?
        fileprivate var bodyCopy: UnsafeMutablePointer<CChar>?
        fileprivate var stoppedByReceiver = false
        private let lock = NSLock()
        private var cancelled = false
        fileprivate weak var client: CurlHTTPClient?

        fileprivate init(request: Request, onHeader: ((String) -> Void)?, onData: @escaping (Data) -> Bool,
                         completion: @escaping (Result<Int, Failure>) -> Void) {
            self.request = request
            self.onHeader = onHeader
            self.onData = onData
            self.completion = completion
        }

        public func cancel() {
            lock.lock()
            cancelled = true
            lock.unlock()
            client?.noteCancel()
        }

        fileprivate var isCancelled: Bool {
            lock.lock()
            defer { lock.unlock() }
            return cancelled
        }
    }

    private let multi: UnsafeMutableRawPointer
    /// epoll set of the transfers' sockets and `wakeFD` (an eventfd that `wake()` signals).
    private let epollFD: Int32
    private let wakeFD: Int32
    /// curl's timer (absolute monotonic milliseconds, -1 for none), written by its callback.
    private let timerDeadline = UnsafeMutablePointer<Int64>.allocate(capacity: 1)
    private let lock = NSLock()
    /// A transfer was cancelled since the loop last looked (under `lock`).
    private var cancelPending = false
    private var queued: [Transfer] = []
    private var active: [ObjectIdentifier: Transfer] = [:]
    private var started = false

    public static let shared = CurlHTTPClient()

    public init() {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        multi = curl_multi_init()!
        var wake: Int32 = -1
        epollFD = tonehost_curl_epoll_create(&wake)
        precondition(epollFD >= 0, "CurlHTTPClient: epoll_create1/eventfd failed (errno \(errno))")
        wakeFD = wake
        let code = tonehost_curl_multi_use_epoll(multi, epollFD, timerDeadline)
        precondition(code == CURLM_OK, "CurlHTTPClient: libcurl refused the socket/timer callbacks (CURLMcode \(code.rawValue))")
    }

    /// Starts a transfer. `onData` receives the body as it arrives (return false to stop);
    /// `completion` gets the HTTP status, or why there is none. Exactly one completion.
    @discardableResult
    public func start(_ request: Request, onHeader: ((String) -> Void)? = nil, onData: @escaping (Data) -> Bool,
                      completion: @escaping (Result<Int, Failure>) -> Void) -> Transfer {
        let transfer = Transfer(request: request, onHeader: onHeader, onData: onData, completion: completion)
        transfer.client = self
        lock.lock()
        queued.append(transfer)
        if !started {
            started = HostThread.start("tonehost-curl") { [self] in loop() }
        }
        lock.unlock()
        wake()
        return transfer
    }

    /// Collects the whole body.
    public func fetch(_ request: Request, completion: @escaping (Result<(status: Int, body: Data), Failure>) -> Void) -> Transfer {
        let buffer = BodyBuffer()
        return start(request, onData: { buffer.append($0); return true }) { result in
            completion(result.map { ($0, buffer.data) })
        }
    }

    fileprivate func wake() { tonehost_curl_wake(wakeFD) }

    fileprivate func noteCancel() {
        lock.lock()
        cancelPending = true
        lock.unlock()
        wake()
    }

    /// The client's thread: new transfers in, cancelled ones out, then ready sockets and curl's
    /// timer handed to curl (epoll: a wake-up costs the sockets that are ready, not one pass
    /// over every transfer and a poll of every socket), then finished transfers completed.
    private func loop() {
        var running: Int32 = 0
        while true {
            lock.lock()
            let newcomers = queued
            queued.removeAll()
            let cancelling = cancelPending
            cancelPending = false
            lock.unlock()
            for t in newcomers { add(t) }
            if cancelling {
                for t in active.values where t.isCancelled { finish(t, .failure(Failure(kind: .cancelled, message: "cancelled"))) }
            }

            tonehost_curl_multi_wait_epoll(multi, epollFD, wakeFD, timerDeadline, 1000, &running)
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                      let raw = tonehost_curl_get_private(easy) else { continue }
                let transfer = Unmanaged<Transfer>.fromOpaque(raw).takeUnretainedValue()
                let code = message.pointee.data.result
                if code == CURLE_OK || (code == CURLE_WRITE_ERROR && transfer.stoppedByReceiver) {
                    finish(transfer, .success(tonehost_curl_response_code(easy)))
                } else {
                    finish(transfer, .failure(Self.failure(code, url: transfer.request.url)))
                }
            }
        }
    }

    private func add(_ t: Transfer) {
        guard let easy = curl_easy_init() else {
            t.completion(.failure(Failure(kind: .other, message: "curl_easy_init failed")))
            return
        }
        t.easy = easy
        tonehost_curl_set_string(easy, CURLOPT_URL, t.request.url)
        tonehost_curl_set_long(easy, CURLOPT_NOSIGNAL, 1)
        tonehost_curl_set_long(easy, CURLOPT_CONNECTTIMEOUT_MS, t.request.connectTimeoutMilliseconds)
        if let ms = t.request.timeoutMilliseconds { tonehost_curl_set_long(easy, CURLOPT_TIMEOUT_MS, max(1, ms)) }
        tonehost_curl_set_string(easy, CURLOPT_CUSTOMREQUEST, t.request.method)
        tonehost_curl_set_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        for h in t.request.headers { t.headerList = curl_slist_append(t.headerList, h) }
        if let list = t.headerList { tonehost_curl_set_pointer(easy, CURLOPT_HTTPHEADER, list) }
        if let body = t.request.body {
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, body.count))
            body.withUnsafeBytes { raw in
                if let base = raw.baseAddress { memcpy(copy, base, body.count) }
            }
            t.bodyCopy = copy
            tonehost_curl_set_long(easy, CURLOPT_POSTFIELDSIZE, body.count)
            tonehost_curl_set_pointer(easy, CURLOPT_POSTFIELDS, copy)
        }
        tonehost_curl_set_write_function(easy) { data, size, count, context in
            guard let data, let context else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
            let n = size * count
            if transfer.isCancelled { return 0 }
            if !transfer.onData(Data(bytes: data, count: n)) {
                transfer.stoppedByReceiver = true
                return 0
            }
            return n
        }
        if t.onHeader != nil {
            tonehost_curl_set_header_function(easy) { data, size, count, context in
                guard let data, let context else { return 0 }
                let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
                transfer.onHeader?(String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self))
                return size * count
            }
        }
        let opaque = Unmanaged.passRetained(t).toOpaque()  // released in finish
        // Only with a header function: without one, libcurl would send headers to the body writer.
        if t.onHeader != nil { tonehost_curl_set_pointer(easy, CURLOPT_HEADERDATA, opaque) }
        tonehost_curl_set_pointer(easy, CURLOPT_WRITEDATA, opaque)
        tonehost_curl_set_private(easy, opaque)
        active[ObjectIdentifier(t)] = t
        curl_multi_add_handle(multi, easy)
    }

    private func finish(_ t: Transfer, _ result: Result<Int, Failure>) {
        guard let easy = t.easy, active.removeValue(forKey: ObjectIdentifier(t)) != nil else { return }
        curl_multi_remove_handle(multi, easy)
        curl_easy_cleanup(easy)
        t.easy = nil
        if let list = t.headerList { curl_slist_free_all(list) }
        t.bodyCopy?.deallocate()
        Unmanaged.passUnretained(t).release()
        t.completion(result)
    }

    private static func failure(_ code: CURLcode, url: String) -> Failure {
        let text = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return Failure(kind: .timeout, message: "\(url): timed out (\(text))")
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return Failure(kind: .unreachable, message: "\(url): unreachable (\(text))")
        default:
            return Failure(kind: .other, message: "\(url): \(text)")
        }
    }
}

private final class BodyBuffer: @unchecked Sendable {
    var data = Data()
    func append(_ d: Data) { data.append(d) }  // only the client thread appends
}
