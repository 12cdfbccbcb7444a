/// Writes a message into a caller's `char *error, size_t error_size` buffer (the ABI's
/// `create` and `tonehost.llm.v1` chat): NUL-terminated, cut to fit at a character boundary
/// (never inside a UTF-8 sequence). Nothing is written when there is no buffer.
public enum CErrorBuffer {
    public static func write(_ message: String, into buffer: UnsafeMutablePointer<CChar>?, size: Int) {
        guard let buffer, size > 0 else { return }
        var utf8 = Array(message.utf8.prefix(size - 1))
        if utf8.count < message.utf8.count {
            // Drop a sequence the cut left unfinished.
            var i = utf8.count
            while i > 0, utf8[i - 1] & 0xC0 == 0x80 { i -= 1 }
            if i > 0, utf8[i - 1] >= 0xC0 {
                let lead = utf8[i - 1]
                let need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
                if utf8.count - (i - 1) < need { utf8.removeSubrange((i - 1)...) }
            }
        }
        for (i, b) in utf8.enumerated() { buffer[i] = CChar(bitPattern: b) }
        buffer[utf8.count] = 0
    }
}
