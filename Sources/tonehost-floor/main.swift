import FakeBackends
import Foundation
import Hummingbird

// The floor for scripts/host-bench.py: a bare Hummingbird 2 app answering
// `POST /api/rag-llm/query` and `/api/rag-llm/query-with-tone` with a fixed answer streamed in
// sentence chunks and `END_FLAG`, as tonehost does — reading and parsing the JSON body, no
// plugins, no store. What tonehost costs per request is measured against this, in one run.
//
//   tonehost-floor --port 5990
//
// With --fake-ollama it is instead the fake Ollama of the tests (FakeBackends) as a process of
// its own, streaming --tokens N tokens --delay-ms D apart: the backend the host-bench proxies.

let args = CommandLine.arguments
let usage = "usage: tonehost-floor [--port N (5990)] [--fake-ollama [--tokens N (25)] [--delay-ms N (5)]]"
let known: Set<String> = ["--port", "--fake-ollama", "--tokens", "--delay-ms"]
if args.contains("--help") || args.contains("-h") {
    print(usage)
    exit(0)
}
/// The number after `name`, `fallback` without the flag; a flag without a number, or an unknown
/// flag, exits 2 with the usage line (a typo must not start a server on the default port).
func intArgument(_ name: String, _ fallback: Int) -> Int {
    guard let i = args.firstIndex(of: name) else { return fallback }
    guard i + 1 < args.count, let n = Int(args[i + 1]), n >= 0 else {
        FileHandle.standardError.write(Data("\(name) needs a non-negative number\n\(usage)\n".utf8))
        exit(2)
    }
    return n
}
for (i, a) in args.enumerated().dropFirst() where a.hasPrefix("-") && !known.contains(a) && Int(a) == nil {
    FileHandle.standardError.write(Data("unknown argument \(a) (at \(i))\n\(usage)\n".utf8))
    exit(2)
}
let port = intArgument("--port", 5990)

if args.contains("--fake-ollama") {
    var behaviour = FakeChatServer.Behaviour()
    let tokens = intArgument("--tokens", 25)
    behaviour.answerTokens = (1...tokens).map { i in i % 10 == 0 ? "token\(i). " : "token\(i) " }
    behaviour.tokenDelayMilliseconds = intArgument("--delay-ms", 5)
    behaviour.recordsRequests = false  // a bench runs for thousands of requests
    let fake = try await FakeChatServer(port: port, behaviour: behaviour)
    print("fake ollama on \(fake.url)")
    while true { try await Task.sleep(for: .seconds(3600)) }
}
let sentences = [
    "ITRI, the Industrial Technology Research Institute, is Taiwan's largest applied R&D organization: a nonprofit institute that turns laboratory ideas into technologies companies can use.",
    " ITRI's scientists and engineers take on projects commissioned by the government and by industry.",
    " Headquartered in Hsinchu County, ITRI is often credited with launching Taiwan's semiconductor industry.",
]

let router = Router()
for path in ["/api/rag-llm/query", "/api/rag-llm/query-with-tone"] {
    router.post(RouterPath(path)) { request, context -> Response in
        let body = try await request.body.collect(upTo: 1 << 20)
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
              object["text_user_msg"] is String else {
            return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: "{\"error\":\"missing required field 'text_user_msg'\"}")))
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init { writer in
            for s in sentences { try await writer.write(ByteBuffer(string: s)) }
            try await writer.write(ByteBuffer(string: "\nEND_FLAG\n"))
            try await writer.finish(nil)
        })
    }
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
