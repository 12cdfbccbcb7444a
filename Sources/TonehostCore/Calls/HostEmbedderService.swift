import CTonehostABI
import Foundation

/// TONEHOST_HOST_EXT_EMBEDDER: a blocking embed call a plugin makes from inside one of its
/// operations (a retriever seeding its store). It runs the bound embedder through the normal
/// call path; the plugin's own call bounds it (deadline, cancellation).
enum HostEmbedderService {
    static let table: UnsafePointer<tonehost_host_embedder> = {
        let p = UnsafeMutablePointer<tonehost_host_embedder>.allocate(capacity: 1)
        p.initialize(to: tonehost_host_embedder(struct_size: UInt32(MemoryLayout<tonehost_host_embedder>.size), embed: embed))
        return UnsafePointer(p)
    }()

    private final class Outcome: @unchecked Sendable {
        var result: Result<[Embedding], Error>?
    }

    private static let embed: @convention(c) (UnsafePointer<tonehost_host_api>?, OpaquePointer?, UnsafePointer<CChar>?,
                                              UnsafePointer<UnsafePointer<CChar>?>?, Int, tonehost_vector_fn?, UnsafeMutableRawPointer?,
                                              UnsafeMutablePointer<CChar>?, Int, UnsafeMutablePointer<CChar>?, Int) -> tonehost_status = {
        api, call, purposeC, texts, count, onVector, context, modelBuf, modelSize, errorBuf, errorSize in
        func fail(_ status: tonehost_status, _ message: String) -> tonehost_status {
            CErrorBuffer.write(message, into: errorBuf, size: errorSize)
            return status
        }
        guard let api, let data = api.pointee.host_data else { return fail(TONEHOST_ERR_INVALID_ARGUMENT, "no host") }
        let host = Unmanaged<HostAPI>.fromOpaque(data).takeUnretainedValue()
        guard let embedder = host.embedder else { return fail(TONEHOST_ERR_UNAVAILABLE, "no embedder is configured") }
        let purposeText = purposeC.map { String(cString: $0) } ?? ""
        guard let purpose = EmbeddingPurpose(rawValue: purposeText) else {
            return fail(TONEHOST_ERR_INVALID_ARGUMENT, "purpose must be \"query\" or \"document\", found \"\(purposeText)\"")
        }
        var list: [String] = []
        if let texts {
            for i in 0..<count { list.append(texts[i].map { String(cString: $0) } ?? "") }
        }
        let parent = call.map { Unmanaged<CallContext>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
        let remaining = parent?.remainingMilliseconds ?? UInt64.max
        let deadline: Duration? = remaining == UInt64.max ? nil : .milliseconds(Int64(remaining))
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let task = Task {
            do {
                outcome.result = .success(try await embedder.embed(list, purpose: purpose, deadline: deadline))
            } catch {
                outcome.result = .failure(error)
            }
            done.signal()
        }
        while done.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
            if parent?.isCancelled == true { task.cancel() }
        }
        switch outcome.result! {
        case .failure(let error):
            return fail(PluginCallError.serviceStatus(error), "\(error)")
        case .success(let vectors):
            CErrorBuffer.write(vectors.first?.model ?? "", into: modelBuf, size: modelSize)
            for (i, v) in vectors.enumerated() {
                v.values.withUnsafeBufferPointer { onVector?(context, i, $0.baseAddress, $0.count) }
            }
            return TONEHOST_OK
        }
    }
}
