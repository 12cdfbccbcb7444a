import CTonehostABI
import Foundation

/// The host object behind a `tonehost_call *`: collects what the plugin delivers, knows the
/// deadline and whether the call was cancelled, and finishes exactly once — when the plugin
/// returns (or completes a PENDING call), when the deadline passes, or when the awaiting task
/// is cancelled. Whatever the plugin delivers after that is dropped.
final class CallContext: @unchecked Sendable {
    enum Ending {
        case returned(status: Int32)
        case timedOut
        case cancelled
    }

    private let lock = NSLock()
    private var cancelled = false
    private var finished = false
    private var failure: (status: Int32, message: String)?
    private var finishHandler: ((Ending, (status: Int32, message: String)?) -> Void)?
    private var endObservers: [@Sendable () -> Void] = []
    private var utf8Carry: [UInt8] = []
    let deadlineNanos: UInt64?  // DispatchTime.uptimeNanoseconds
    let onText: ((String) -> Void)?
    let onPassage: ((RetrievedPassage) -> Void)?
    /// Embedders: each vector as (index, values); set by `PluginInstance.embed`.
    var onVector: ((Int, UnsafeBufferPointer<Float>) -> Void)?
    /// The plugin instance the call runs on: kept alive until the plugin lets go of the call,
    /// so an instance is never destroyed while one of its calls is still running or pending.
    var instance: AnyObject?
    /// Fires `.timedOut` at the deadline; cancelled when the call ends first.
    var deadlineTimer: OneShotTimer? {
        get { lock.lock(); defer { lock.unlock() }; return timer }
        set {
            lock.lock()
            let ended = finished
            timer = newValue
            lock.unlock()
            if ended { newValue?.cancel() }
        }
    }
    private var timer: OneShotTimer?
    /// Set under `CallDiagnostics.$current` (the conformance test): what the plugin did.
    let diagnostics: CallDiagnostics?
    /// The call runs on the thread that asked (a NONBLOCKING operation, `PluginInstance`): it
    /// must not wait, so the blocking host services refuse it.
    var runsInline = false
    let deadline: Duration?

    init(deadline: Duration?, onText: ((String) -> Void)?, onPassage: ((RetrievedPassage) -> Void)? = nil,
         diagnostics: CallDiagnostics? = CallDiagnostics.current) {
        self.diagnostics = diagnostics
        self.deadline = deadline
        if let deadline {
            let ns = UInt64(max(0, deadline.components.seconds)) * 1_000_000_000 + UInt64(max(0, deadline.components.attoseconds / 1_000_000_000))
            deadlineNanos = DispatchTime.now().uptimeNanoseconds + ns
        } else {
            deadlineNanos = nil
        }
        self.onText = onText
        self.onPassage = onPassage
    }

    var isCancelled: Bool {
        expireIfPastDeadline()
        lock.lock()
        defer { lock.unlock() }
        return cancelled || finished
    }

    /// The deadline also holds without its timer (a call the host runs on the asking thread
    /// has none while it runs): every question the plugin asks — is it cancelled, may it emit —
    /// ends the call once the deadline has passed.
    private func expireIfPastDeadline() {
        if let deadlineNanos, DispatchTime.now().uptimeNanoseconds >= deadlineNanos { finish(.timedOut) }
    }

    /// Sets what happens at the end; if the call already ended (cancelled before it started),
    /// the handler runs at once.
    func onFinish(_ handler: @escaping (Ending, (status: Int32, message: String)?) -> Void) {
        lock.lock()
        if finished {
            lock.unlock()
            handler(.cancelled, nil)
            return
        }
        finishHandler = handler
        lock.unlock()
    }

    /// Runs `observer` when the call ends, however it ends (at once if it already has): work the
    /// plugin started for this call (a host-service chat) stops with it.
    func onEnd(_ observer: @escaping @Sendable () -> Void) {
        lock.lock()
        if finished {
            lock.unlock()
            observer()
            return
        }
        endObservers.append(observer)
        lock.unlock()
    }

    func finish(_ ending: Ending) {
        lock.lock()
        if finished {
            lock.unlock()
            return
        }
        finished = true
        cancelled = true
        let handler = finishHandler
        finishHandler = nil
        let failure = self.failure
        let timer = self.timer
        self.timer = nil
        let carry = utf8Carry.count
        let observers = endObservers
        endObservers = []
        lock.unlock()
        timer?.cancel()
        for observer in observers { observer() }
        if case .returned = ending, carry > 0 { diagnostics?.record(.incompleteUTF8(bytes: carry)) }
        if case .timedOut = ending { diagnostics?.record(.deadlinePassed) }
        handler?(ending, failure)
    }

    func cancel() { finish(.cancelled) }

    // MARK: callbacks from the plugin

    func emit(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        expireIfPastDeadline()
        lock.lock()
        if cancelled || finished {
            lock.unlock()
            diagnostics?.record(.emitAfterCancel)
            return 1
        }
        // Chunks may split a UTF-8 sequence: hold back an incomplete tail.
        if utf8Carry.isEmpty {
            // The usual case (a token, nothing held back): decoded from the plugin's bytes.
            let end = Self.completeUTF8Prefix(bytes)
            if end < bytes.count { utf8Carry = Array(bytes[end...]) }
            lock.unlock()
            if end > 0 || bytes.isEmpty, let onText {
                onText(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<end]), as: UTF8.self))
            }
            return 0
        }
        var data = utf8Carry
        data.append(contentsOf: bytes)
        let end = data.withUnsafeBytes { Self.completeUTF8Prefix($0) }
        utf8Carry = Array(data[end...])
        lock.unlock()
        // An empty emit still reaches list-style consumers (one emit per item).
        if end > 0 || bytes.isEmpty, let onText {
            onText(String(decoding: data[..<end], as: UTF8.self))
        }
        return 0
    }

    /// How many of `data`'s bytes end on a whole UTF-8 sequence: all of them, unless the last
    /// (up to 3) bytes start a sequence the next chunk completes.
    private static func completeUTF8Prefix(_ data: UnsafeRawBufferPointer) -> Int {
        var back = 0
        while back < min(3, data.count) {
            let b = data[data.count - 1 - back]
            if b & 0xC0 == 0x80 { back += 1; continue }  // continuation byte
            if b >= 0xC0 {
                let need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
                if back + 1 < need { return data.count - 1 - back }
            }
            break
        }
        return data.count
    }

    func emitPassage(_ p: tonehost_passage) -> Int32 {
        expireIfPastDeadline()
        if isCancelled { return 1 }
        func s(_ c: UnsafePointer<CChar>?) -> String { c.map { String(cString: $0) } ?? "" }
        onPassage?(RetrievedPassage(id: s(p.id), title: s(p.title), content: s(p.content), source: s(p.source),
                                    language: s(p.language), score: p.score))
        return 0
    }

    func emitVector(index: Int, values: UnsafeBufferPointer<Float>) -> Int32 {
        expireIfPastDeadline()
        if isCancelled {
            diagnostics?.record(.emitAfterCancel)
            return 1
        }
        onVector?(index, values)
        return 0
    }

    func fail(status: Int32, message: String) {
        diagnostics?.record(.failed(status: status, message: message))
        lock.lock()
        if failure == nil { failure = (status, message) }
        lock.unlock()
    }

    var remainingMilliseconds: UInt64 {
        guard let deadlineNanos else { return UInt64.max }
        let now = DispatchTime.now().uptimeNanoseconds
        return now >= deadlineNanos ? 0 : (deadlineNanos - now) / 1_000_000
    }

    /// The callback table every call hands to the plugin.
    static let api: UnsafePointer<tonehost_call_api> = {
        let p = UnsafeMutablePointer<tonehost_call_api>.allocate(capacity: 1)
        p.initialize(to: tonehost_call_api(
            struct_size: UInt32(MemoryLayout<tonehost_call_api>.size),
            emit: { call, text, len in
                guard let call else { return 1 }
                let ctx = Unmanaged<CallContext>.fromOpaque(UnsafeRawPointer(call)).takeUnretainedValue()
                guard let text else { return ctx.isCancelled ? 1 : 0 }
                return ctx.emit(UnsafeRawBufferPointer(start: text, count: len))
            },
            emit_passage: { call, passage in
                guard let call, let passage else { return 1 }
                return Unmanaged<CallContext>.fromOpaque(UnsafeRawPointer(call)).takeUnretainedValue().emitPassage(passage.pointee)
            },
            fail: { call, status, message in
                guard let call else { return }
                Unmanaged<CallContext>.fromOpaque(UnsafeRawPointer(call)).takeUnretainedValue()
                    .fail(status: status, message: message.map { String(cString: $0) } ?? "")
            },
            is_cancelled: { call in
                guard let call else { return 1 }
                return Unmanaged<CallContext>.fromOpaque(UnsafeRawPointer(call)).takeUnretainedValue().isCancelled ? 1 : 0
            },
            remaining_ms: { call in
                guard let call else { return 0 }
                return Unmanaged<CallContext>.fromOpaque(UnsafeRawPointer(call)).takeUnretainedValue().remainingMilliseconds
            },
            complete: { call, status in
                guard let call else { return }
                // Balances the retain taken when the call started (see PluginInstance.invoke).
                let ctx = Unmanaged<CallContext>.fromOpaque(UnsafeRawPointer(call)).takeRetainedValue()
                ctx.diagnostics?.record(.returned(status: status))
                ctx.finish(.returned(status: status))
            },
            emit_vector: { call, index, values, dimension in
                guard let call else { return 1 }
                let ctx = Unmanaged<CallContext>.fromOpaque(UnsafeRawPointer(call)).takeUnretainedValue()
                guard let values else { return ctx.isCancelled ? 1 : 0 }
                return ctx.emitVector(index: index, values: UnsafeBufferPointer(start: values, count: dimension))
            },
            on_end: { call, callback, context in
                guard let call, let callback else { return }
                let ctx = Unmanaged<CallContext>.fromOpaque(UnsafeRawPointer(call)).takeUnretainedValue()
                let address = UInt(bitPattern: context)  // the plugin's pointer, opaque to the host
                ctx.onEnd { callback(UnsafeMutableRawPointer(bitPattern: address)) }
            }))
        return UnsafePointer(p)
    }()
}


/// What a plugin did during the calls made under `CallDiagnostics.$current`: the raw material
/// of `tonehost plugins test`. Thread-safe.
public final class CallDiagnostics: @unchecked Sendable {
    public enum Event: Sendable {
        /// The operation function returned (or a PENDING call completed) with this status.
        case returned(status: Int32)
        case failed(status: Int32, message: String)
        /// `emit` was called after the call was cancelled (it returned non-zero).
        case emitAfterCancel
        /// The call ended with bytes of an unfinished UTF-8 sequence never completed.
        case incompleteUTF8(bytes: Int)
        case deadlinePassed
    }

    @TaskLocal public static var current: CallDiagnostics?

    private let lock = NSLock()
    private var log: [(event: Event, at: UInt64)] = []

    public init() {}

    func record(_ event: Event) {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.lock()
        log.append((event, now))
        lock.unlock()
    }

    /// Events with their time (DispatchTime uptime nanoseconds), in order.
    public var events: [(event: Event, at: UInt64)] {
        lock.lock()
        defer { lock.unlock() }
        return log
    }
}
