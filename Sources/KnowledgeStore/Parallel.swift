import Foundation

enum Parallel {
    /// `items.map(transform)`, spread over the processor cores when there are enough items
    /// to be worth it. Order is kept.
    static func map<T, U>(_ items: [T], minimumCount: Int = 256, _ transform: (T) -> U) -> [U] {
        let cores = min(ProcessInfo.processInfo.activeProcessorCount, 8)
        if items.count < minimumCount || cores < 2 { return items.map(transform) }
        let slices = cores * 2
        let per = (items.count + slices - 1) / slices
        let results = UnsafeMutableBufferPointer<[U]>.allocate(capacity: slices)
        results.initialize(repeating: [])
        defer {
            _ = results.deinitialize()
            results.deallocate()
        }
        items.withUnsafeBufferPointer { input in
            DispatchQueue.concurrentPerform(iterations: slices) { s in
                let lo = s * per, hi = min(input.count, lo + per)
                if lo < hi { results[s] = input[lo..<hi].map(transform) }
            }
        }
        var out: [U] = []
        out.reserveCapacity(items.count)
        for slice in results { out += slice }
        return out
    }
}
