import Foundation

/// The plugin libraries this process has dlopen()ed, with the file's identity at that time.
/// `dlopen` of a path already loaded returns the code loaded first, and libraries are never
/// unloaded — so a library replaced on disk is *not* picked up by a reload. This registry
/// lets the loader say so instead of silently running the old code.
final class LoadedLibraries: @unchecked Sendable {
    static let shared = LoadedLibraries()

    struct Identity: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: Int
    }

    private let loaded = Locked<[String: Identity]>([:])

    static func identity(of path: String) -> Identity? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Identity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size), modified: Int(st.st_mtim.tv_sec))
    }

    /// A warning when `path` was loaded before and the file changed since.
    func changedSinceLoad(_ path: String) -> String? {
        guard let first = loaded.value[path], let now = Self.identity(of: path), now != first else { return nil }
        return "library \(path) changed on disk since this process loaded it; the running code stays the old one (dlopen returns the loaded library, which is never unloaded) — install the new version under a new file name and point the manifest at it"
    }

    func record(_ path: String) {
        guard let id = Self.identity(of: path) else { return }
        loaded.mutate { if $0[path] == nil { $0[path] = id } }
    }
}
