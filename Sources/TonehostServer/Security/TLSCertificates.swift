import Foundation
import Logging
import NIOSSL
import TonehostTypes

/// The API's certificate and key (`tls_certificate`, `tls_private_key`, PEM files), re-read on
/// SIGHUP without a restart: every TLS handshake takes the pair loaded last (through NIOSSL's
/// per-handshake context callback), so connections open at the reload keep theirs and new ones
/// get the new pair. A reload whose files do not load keeps the running pair. Thread-safe.
public final class TLSCertificates: Sendable {
    public let certificatePath: String
    public let privateKeyPath: String
    private let current: Locked<NIOSSLContextConfigurationOverride>

    /// Loads both files; the error names the file and what was expected.
    public init(certificatePath: String, privateKeyPath: String) throws {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        current = Locked(try Self.load(certificatePath, privateKeyPath))
    }

    /// Re-reads both files (SIGHUP); on failure the running pair stays and the error says why.
    public func reload() throws {
        let fresh = try Self.load(certificatePath, privateKeyPath)
        current.mutate { $0 = fresh }
    }

    /// A server configuration whose handshakes use the current pair.
    func serverConfiguration() throws -> TLSConfiguration {
        let pair = current.value
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: pair.certificateChain ?? [],
                                                                     privateKey: pair.privateKey!)
        configuration.applicationProtocols = ["http/1.1"]
        configuration.sslContextCallback = { [current] _, promise in promise.succeed(current.value) }
        return configuration
    }

    private static func load(_ certificatePath: String, _ privateKeyPath: String) throws -> NIOSSLContextConfigurationOverride {
        var pair = NIOSSLContextConfigurationOverride()
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
            guard !chain.isEmpty else { throw TLSFileError(path: certificatePath, reason: "no certificate in it; expected a PEM certificate chain") }
            pair.certificateChain = chain.map { .certificate($0) }
        } catch let error as TLSFileError {
            throw error
        } catch {
            throw TLSFileError(path: certificatePath, reason: "not a readable PEM certificate chain (\(error))")
        }
        do {
            pair.privateKey = .privateKey(try NIOSSLPrivateKey(file: privateKeyPath, format: .pem))
        } catch {
            throw TLSFileError(path: privateKeyPath, reason: "not a readable PEM private key (\(error))")
        }
        return pair
    }
}

/// A certificate or key file that did not load.
public struct TLSFileError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}
