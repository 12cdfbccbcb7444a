import Foundation

/// A value shared between threads (a plugin's callback threads and the awaiting task, a
/// server's request handlers): every access takes the lock. The one small synchronised box of
/// the project — state that needs no condition variable lives in one of these.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    public init(_ value: Value) { stored = value }

    public var value: Value {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    public func mutate<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&stored)
    }
}

extension Locked where Value == String {
    public func append(_ s: String) { mutate { $0 += s } }
}

extension Locked where Value: RangeReplaceableCollection {
    public func append(_ element: Value.Element) { mutate { $0.append(element) } }
}
