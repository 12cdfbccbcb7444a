import Foundation

/// Refuses plugin files anyone can change, like sshd's StrictModes: a manifest or library that
/// is world-writable, or that sits under a world-writable folder without the sticky bit (where
/// anyone could replace it), would let any local user run code inside the host. Symbolic links
/// are followed: the check is on the file that would be read or loaded.
enum FilePermissions {
    /// nil when `path` is safe to trust; otherwise what is wrong, naming the file or folder and its mode.
    static func problem(_ path: String) -> String? {
        guard let real = realpath(path, nil) else { return nil }  // a missing file is reported where it is opened
        let resolved = String(cString: real)
        free(real)
        var st = stat()
        guard stat(resolved, &st) == 0 else { return nil }
        if st.st_mode & S_IWOTH != 0 {
            return "\(resolved) is world-writable (mode \(octal(st.st_mode))); run chmod o-w on it"
        }
        var dir = (resolved as NSString).deletingLastPathComponent
        while !dir.isEmpty {
            if stat(dir, &st) == 0, st.st_mode & S_IWOTH != 0, st.st_mode & S_ISVTX == 0 {
                return "\(resolved) is in the world-writable folder \(dir) (mode \(octal(st.st_mode)), no sticky bit); anyone could replace it"
            }
            if dir == "/" { break }
            dir = (dir as NSString).deletingLastPathComponent
        }
        return nil
    }

    private static func octal(_ mode: mode_t) -> String {
        String(mode & 0o7777, radix: 8)
    }
}
