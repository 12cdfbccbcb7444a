import Foundation

/// The wire between the host and a plugin worker (`tonehost plugin-worker`): typed frames, both
/// ways, over the worker's stdin (host → worker) and stdout (worker → host).
///
/// A frame is a little-endian `UInt32` payload length, then the payload: a tag byte and the
/// frame's fields in order — integers as zigzag LEB128 varints, strings as a varint byte count
/// and UTF-8, doubles as their IEEE-754 bits (8 bytes LE), booleans as one byte, optionals as a
/// presence byte then the value. Binary rather than JSON: a call costs a few microseconds of
/// encoding instead of most of the isolation overhead (see scripts/isolation-bench.py).
///
/// Per call the host sends `.call`, the worker answers any number of `.text` / `.passage`
/// frames then one `.done`. The worker starts with `.ready` (or `.fatal`).
enum WorkerProtocol {
    /// An operation the host asks the worker's plugin to run.
    enum Operation {
        /// `stream`: the answer's stream id (per-answer state in the worker); `beginStream`: this
        /// first segment begins it.
        case tone(ToneInput, stream: Int?, beginStream: Bool)
        case select(description: String, language: String, categories: [String])
        case describe(sessionID: String, image: String)
        /// `vector`: the query's embedding, when the host has an embedder.
        case retrieve(query: String, language: String, topK: Int, vector: Embedding?)
        case generate(GenerationInput)
    }

    /// host → worker
    enum ToWorker {
        case call(id: Int, deadlineMilliseconds: Int?, Operation)
        case cancel(id: Int)
        /// An answer that ended without its final segment (failed, cancelled): drop its state.
        case endStream(Int)
        /// Text of a `tonehost.llm.v1` chat the worker's plugin started, and its end.
        case chatText(chatID: Int, String)
        case chatDone(chatID: Int, status: Int32, error: String)
    }

    /// What the worker's plugin is, sent once it is loaded.
    struct Ready {
        var id: String
        var version: String
        var description: String
        var flags: UInt32
        var toneCategory: String?
        var toneStreams: Bool
    }

    /// worker → host
    enum FromWorker {
        case ready(Ready)
        case fatal(String)
        case text(id: Int, String)
        case passage(id: Int, RetrievedPassage)
        case done(id: Int, status: Int32, error: String)
        case log(level: String, message: String)
        /// The plugin called `tonehost.llm.v1`: the host runs the chat and streams it back.
        case chat(chatID: Int, GenerationInput, deadlineMilliseconds: Int?)
        case chatCancel(chatID: Int)
    }

    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    // MARK: Encoding

    static func encode(_ frame: ToWorker) -> [UInt8] {
        var w = Writer()
        switch frame {
        case .call(let id, let deadline, let op):
            w.tag(1); w.int(id); w.optional(deadline) { $0.int($1) }
            switch op {
            case .tone(let t, let stream, let begin):
                w.tag(1)
                w.string(t.text); w.string(t.userDescription); w.string(t.userMessage); w.string(t.language)
                w.bool(t.firstMessage); w.int(t.segmentIndex); w.bool(t.isFinal); w.string(t.sessionID)
                w.optional(stream) { $0.int($1) }; w.bool(begin)
            case .select(let description, let language, let categories):
                w.tag(2); w.string(description); w.string(language); w.int(categories.count); categories.forEach { w.string($0) }
            case .describe(let session, let image):
                w.tag(3); w.string(session); w.string(image)
            case .retrieve(let query, let language, let topK, let vector):
                w.tag(4); w.string(query); w.string(language); w.int(topK); w.optional(vector) { $0.embedding($1) }
            case .generate(let g):
                w.tag(5); w.generation(g)
            }
        case .cancel(let id):
            w.tag(2); w.int(id)
        case .endStream(let stream):
            w.tag(3); w.int(stream)
        case .chatText(let id, let text):
            w.tag(4); w.int(id); w.string(text)
        case .chatDone(let id, let status, let error):
            w.tag(5); w.int(id); w.int(Int(status)); w.string(error)
        }
        return w.finish()
    }

    static func encode(_ frame: FromWorker) -> [UInt8] {
        var w = Writer()
        switch frame {
        case .ready(let r):
            w.tag(1); w.string(r.id); w.string(r.version); w.string(r.description); w.int(Int(r.flags))
            w.optional(r.toneCategory) { $0.string($1) }; w.bool(r.toneStreams)
        case .fatal(let reason):
            w.tag(2); w.string(reason)
        case .text(let id, let text):
            w.tag(3); w.int(id); w.string(text)
        case .passage(let id, let p):
            w.tag(4); w.int(id); w.passage(p)
        case .done(let id, let status, let error):
            w.tag(5); w.int(id); w.int(Int(status)); w.string(error)
        case .log(let level, let message):
            w.tag(6); w.string(level); w.string(message)
        case .chat(let id, let input, let deadline):
            w.tag(7); w.int(id); w.generation(input); w.optional(deadline) { $0.int($1) }
        case .chatCancel(let id):
            w.tag(8); w.int(id)
        }
        return w.finish()
    }

    // MARK: Decoding

    static func decodeToWorker(_ payload: UnsafeRawBufferPointer) throws -> ToWorker {
        var r = Reader(payload)
        switch try r.tag() {
        case 1:
            let id = try r.int(), deadline = try r.optional { try $0.int() }
            let op: Operation
            switch try r.tag() {
            case 1:
                let t = ToneInput(text: try r.string(), userDescription: try r.string(), userMessage: try r.string(), language: try r.string(),
                                  firstMessage: try r.bool(), segmentIndex: try r.int(), isFinal: try r.bool(), sessionID: try r.string())
                op = .tone(t, stream: try r.optional { try $0.int() }, beginStream: try r.bool())
            case 2:
                let d = try r.string(), l = try r.string()
                op = .select(description: d, language: l, categories: try r.array { try $0.string() })
            case 3:
                op = .describe(sessionID: try r.string(), image: try r.string())
            case 4:
                op = .retrieve(query: try r.string(), language: try r.string(), topK: try r.int(), vector: try r.optional { try $0.embedding() })
            case 5:
                op = .generate(try r.generation())
            case let t:
                throw Malformed(description: "unknown operation tag \(t)")
            }
            return .call(id: id, deadlineMilliseconds: deadline, op)
        case 2: return .cancel(id: try r.int())
        case 3: return .endStream(try r.int())
        case 4: return .chatText(chatID: try r.int(), try r.string())
        case 5: return .chatDone(chatID: try r.int(), status: Int32(clamping: try r.int()), error: try r.string())
        case let t: throw Malformed(description: "unknown host frame tag \(t)")
        }
    }

    static func decodeFromWorker(_ payload: UnsafeRawBufferPointer) throws -> FromWorker {
        var r = Reader(payload)
        switch try r.tag() {
        case 1:
            return .ready(Ready(id: try r.string(), version: try r.string(), description: try r.string(), flags: UInt32(truncatingIfNeeded: try r.int()),
                                toneCategory: try r.optional { try $0.string() }, toneStreams: try r.bool()))
        case 2: return .fatal(try r.string())
        case 3: return .text(id: try r.int(), try r.string())
        case 4: return .passage(id: try r.int(), try r.passage())
        case 5: return .done(id: try r.int(), status: Int32(clamping: try r.int()), error: try r.string())
        case 6: return .log(level: try r.string(), message: try r.string())
        case 7: return .chat(chatID: try r.int(), try r.generation(), deadlineMilliseconds: try r.optional { try $0.int() })
        case 8: return .chatCancel(chatID: try r.int())
        case let t: throw Malformed(description: "unknown worker frame tag \(t)")
        }
    }

    // MARK: Primitives

    struct Writer {
        private var bytes: [UInt8] = [0, 0, 0, 0]  // the length, filled in by finish()

        init() { bytes.reserveCapacity(256) }

        mutating func tag(_ t: UInt8) { bytes.append(t) }
        mutating func bool(_ b: Bool) { bytes.append(b ? 1 : 0) }

        mutating func int(_ v: Int) {
            var u = UInt64(bitPattern: Int64((v << 1) ^ (v >> 63)))  // zigzag
            while u >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: u) | 0x80)
                u >>= 7
            }
            bytes.append(UInt8(u))
        }

        mutating func double(_ d: Double) {
            var bits = d.bitPattern.littleEndian
            withUnsafeBytes(of: &bits) { bytes.append(contentsOf: $0) }
        }

        mutating func string(_ s: String) {
            var s = s
            s.withUTF8 { utf8 in
                int(utf8.count)
                bytes.append(contentsOf: utf8)
            }
        }

        mutating func optional<T>(_ v: T?, _ write: (inout Writer, T) -> Void) {
            bool(v != nil)
            if let v { write(&self, v) }
        }

        mutating func passage(_ p: RetrievedPassage) {
            string(p.id); string(p.title); string(p.content); string(p.source); string(p.language); double(p.score)
        }

        /// The model, the count, then each value's float32 bits (4 bytes LE).
        mutating func embedding(_ e: Embedding) {
            string(e.model)
            int(e.values.count)
            for v in e.values {
                var bits = v.bitPattern.littleEndian
                withUnsafeBytes(of: &bits) { bytes.append(contentsOf: $0) }
            }
        }

        mutating func generation(_ g: GenerationInput) {
            string(g.purpose)
            int(g.messages.count)
            for m in g.messages { string(m.role); string(m.content) }
            string(g.question); string(g.language)
            int(g.passages.count)
            for p in g.passages { passage(p) }
            optional(g.temperature) { $0.double($1) }
            optional(g.maxTokens) { $0.int($1) }
        }

        consuming func finish() -> [UInt8] {
            let n = UInt32(bytes.count - 4).littleEndian
            withUnsafeBytes(of: n) { for i in 0..<4 { bytes[i] = $0[i] } }
            return bytes
        }
    }

    struct Reader {
        private let buffer: UnsafeRawBufferPointer
        private var offset = 0

        init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

        private mutating func byte() throws -> UInt8 {
            guard offset < buffer.count else { throw Malformed(description: "frame ends early") }
            defer { offset += 1 }
            return buffer[offset]
        }

        mutating func tag() throws -> UInt8 { try byte() }
        mutating func bool() throws -> Bool { try byte() != 0 }

        mutating func int() throws -> Int {
            var u: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let b = try byte()
                guard shift < 64 else { throw Malformed(description: "integer too long") }
                u |= UInt64(b & 0x7F) << shift
                if b < 0x80 { break }
                shift += 7
            }
            return Int(Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1))  // zigzag
        }

        mutating func double() throws -> Double {
            guard buffer.count - offset >= 8 else { throw Malformed(description: "frame ends early") }
            var bits: UInt64 = 0
            withUnsafeMutableBytes(of: &bits) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + 8])) }
            offset += 8
            return Double(bitPattern: UInt64(littleEndian: bits))
        }

        mutating func string() throws -> String {
            let n = try int()
            guard n >= 0, buffer.count - offset >= n else { throw Malformed(description: "string of \(n) bytes past the frame's end") }
            defer { offset += n }
            return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + n]), as: UTF8.self)
        }

        mutating func optional<T>(_ read: (inout Reader) throws -> T) throws -> T? {
            try bool() ? try read(&self) : nil
        }

        mutating func array<T>(_ read: (inout Reader) throws -> T) throws -> [T] {
            let n = try int()
            guard n >= 0, n <= buffer.count - offset else { throw Malformed(description: "array of \(n) items past the frame's end") }
            return try (0..<n).map { _ in try read(&self) }
        }

        mutating func passage() throws -> RetrievedPassage {
            RetrievedPassage(id: try string(), title: try string(), content: try string(), source: try string(), language: try string(), score: try double())
        }

        mutating func embedding() throws -> Embedding {
            let model = try string()
            let n = try int()
            guard n >= 0, n <= (buffer.count - offset) / 4 else { throw Malformed(description: "vector of \(n) values past the frame's end") }
            var values = [Float](repeating: 0, count: n)
            values.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + n * 4])) }
            offset += n * 4
            return Embedding(model: model, values: values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) })
        }

        mutating func generation() throws -> GenerationInput {
            let purpose = try string()
            let messages = try array { ChatMessage(role: try $0.string(), content: try $0.string()) }
            let question = try string(), language = try string()
            let passages = try array { try $0.passage() }
            return GenerationInput(purpose: purpose, messages: messages, question: question, language: language, passages: passages,
                                   temperature: try optional { try $0.double() }, maxTokens: try optional { try $0.int() })
        }
    }

    /// Reads frames from a file descriptor (blocking; run on a thread of its own).
    struct FrameReader {
        let fd: Int32
        private var buffer: [UInt8] = []
        private var start = 0
        static let maxFrame = 256 << 20

        init(fd: Int32) { self.fd = fd }

        /// Calls `body` with each complete frame's payload until the descriptor ends (EOF or an
        /// error); returns why it ended.
        mutating func run(_ body: (UnsafeRawBufferPointer) -> Void) -> String {
            var chunk = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return n == 0 ? "end of stream" : String(cString: strerror(errno)) }
                buffer.append(contentsOf: chunk[0..<n])
                while buffer.count - start >= 4 {
                    let length = Int(buffer[start]) | Int(buffer[start + 1]) << 8 | Int(buffer[start + 2]) << 16 | Int(buffer[start + 3]) << 24
                    guard length <= Self.maxFrame else { return "a frame of \(length) bytes (more than \(Self.maxFrame))" }
                    guard buffer.count - start - 4 >= length else { break }
                    buffer.withUnsafeBytes { all in body(UnsafeRawBufferPointer(rebasing: all[(start + 4)..<(start + 4 + length)])) }
                    start += 4 + length
                }
                if start == buffer.count {
                    buffer.removeAll(keepingCapacity: true)
                    start = 0
                } else if start > 64 << 10 {
                    buffer.removeSubrange(0..<start)
                    start = 0
                }
            }
        }
    }

    /// Writes whole frames with write(2), serialized: a dead peer gives EPIPE (SIGPIPE is
    /// ignored) and `false`.
    final class FrameWriter: @unchecked Sendable {
        let fd: Int32
        private let lock = NSLock()
        init(fd: Int32) { self.fd = fd }

        @discardableResult
        func send(_ bytes: [UInt8]) -> Bool {
            lock.lock()
            defer { lock.unlock() }
            return bytes.withUnsafeBytes { buf in
                var off = 0
                while off < buf.count {
                    let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return false }
                    off += n
                }
                return true
            }
        }
    }
}
