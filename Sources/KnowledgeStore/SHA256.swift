import Crypto
import Foundation
import TonehostText

/// Content hashes for idempotent ingestion (swift-crypto's SHA-256, hex-encoded).
struct SHA256Digest {
    private var hasher = SHA256()

    mutating func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bufferPointer: bytes) }

    mutating func finalizeHex() -> String { Self.hex(hasher.finalize()) }

    static func hex(_ data: [UInt8]) -> String { hex(SHA256.hash(data: data)) }

    static func hex(_ string: String) -> String { hex(Array(string.utf8)) }

    private static func hex(_ digest: SHA256.Digest) -> String {
        Hex.string(digest)
    }
}
