import Foundation

/// A value shared between a plugin's callback threads and the awaiting task: every access
/// takes the lock. The one small synchronised box of this module (collectors, flags).
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    func mutate<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&stored)
    }
}

extension Locked where Value == String {
    func append(_ s: String) { mutate { $0 += s } }
}

extension Locked where Value: RangeReplaceableCollection {
    func append(_ element: Value.Element) { mutate { $0.append(element) } }
}
