import Foundation
import NIOSSL
import PostgresNIO

/// Where the shared store is and how to reach it, from `session_store = "postgres://…"` and
/// the settings beside it. The password comes from the URL, `session_store_password`
/// (`TONEHOST_SESSION_STORE_PASSWORD`) or `session_store_password_file`, and is never part of
/// `label` or any message.
public struct PostgresStoreConfiguration: Sendable {
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// PEM file of the certificate authorities trusted for the server (TLS); nil: the system's.
    public var caFile: String?
    /// Connections at most (per host); requests beyond wait for one within their deadline.
    public var poolSize: Int
    /// The server ends any statement running longer than this (`statement_timeout`).
    public var statementTimeout: Duration

    /// Whether `value` names a PostgreSQL store (else it is `sqlite`).
    public static func isPostgres(_ value: String) -> Bool {
        value.hasPrefix("postgres://") || value.hasPrefix("postgresql://")
    }

    /// Parses `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require&sslrootcert=FILE]`.
    /// `setting` names the key in errors.
    public init(url: String, setting: String = "session_store", password: String? = nil, passwordFile: String? = nil,
                poolSize: Int, statementTimeout: Duration) throws {
        guard Self.isPostgres(url), let parts = URLComponents(string: url) else {
            throw PostgresStoreError.configuration("\(setting): expected postgres://user@host:port/database, found '\(Self.redacted(url))'")
        }
        guard let host = parts.host, !host.isEmpty else {
            throw PostgresStoreError.configuration("\(setting): the URL has no host (expected postgres://user@host:port/database)")
        }
        guard let user = parts.user, !user.isEmpty else {
            throw PostgresStoreError.configuration("\(setting): the URL has no user (expected postgres://user@\(host)/database)")
        }
        let database = String(parts.path.drop { $0 == "/" })
        guard !database.isEmpty else {
            throw PostgresStoreError.configuration("\(setting): the URL names no database (expected postgres://\(user)@\(host)/database)")
        }
        self.host = host
        self.port = parts.port ?? 5432
        self.user = user.removingPercentEncoding ?? user
        self.database = database.removingPercentEncoding ?? database
        self.poolSize = poolSize
        self.statementTimeout = statementTimeout
        self.tls = .prefer
        for item in parts.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: item.value ?? "") else {
                    throw PostgresStoreError.configuration(
                        "\(setting): sslmode expected one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", ")), found '\(item.value ?? "")'")
                }
                tls = mode
            case "sslrootcert":
                caFile = item.value
            default:
                throw PostgresStoreError.configuration("\(setting): unknown URL parameter '\(item.name)' (expected sslmode or sslrootcert)")
            }
        }
        if let p = parts.password { self.password = p.removingPercentEncoding ?? p }
        if let password { self.password = password }
        if let passwordFile {
            do {
                self.password = try String(contentsOfFile: passwordFile, encoding: .utf8).trimmingCharacters(in: .newlines)
            } catch {
                throw PostgresStoreError.configuration("session_store_password_file: cannot read '\(passwordFile)': \(error.localizedDescription)")
            }
        }
    }

    /// `postgres host:port/database` (no user, no password).
    public var label: String { "postgres \(host):\(port)/\(database)" }

    /// The URL with its password replaced by `***`, for error messages.
    static func redacted(_ url: String) -> String {
        guard var parts = URLComponents(string: url), parts.password != nil else { return url }
        parts.password = "***"
        return parts.string ?? "postgres://…"
    }

    func clientConfiguration() throws -> PostgresClient.Configuration {
        let tlsSetting: PostgresClient.Configuration.TLS
        switch tls {
        case .disable:
            tlsSetting = .disable
        case .prefer, .require:
            var context = TLSConfiguration.makeClientConfiguration()
            if let caFile {
                guard FileManager.default.isReadableFile(atPath: caFile) else {
                    throw PostgresStoreError.configuration("session_store: sslrootcert '\(caFile)' is not a readable file")
                }
                context.trustRoots = .file(caFile)
            }
            tlsSetting = tls == .require ? .require(context) : .prefer(context)
        }
        var configuration = PostgresClient.Configuration(host: host, port: port, username: user, password: password,
                                                         database: database, tls: tlsSetting)
        configuration.options.maximumConnections = max(1, poolSize)
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(3)
        configuration.options.additionalStartupParameters = [
            ("statement_timeout", "\(max(1, Self.milliseconds(statementTimeout)))"),
            ("application_name", "tonehost"),
        ]
        return configuration
    }

    static func milliseconds(_ d: Duration) -> Int {
        Int(d.components.seconds) * 1000 + Int(d.components.attoseconds / 1_000_000_000_000_000)
    }
}

/// Why a PostgreSQL store call failed, in words an operator can act on.
public enum PostgresStoreError: Error, CustomStringConvertible {
    case configuration(String)
    /// No answer within the call's deadline (the server is down, restarting, or every pooled
    /// connection is busy).
    case timeout(String)
    /// The server answered with an error, or the connection failed.
    case failed(String)
    /// A recent call found the server unreachable; calls fail at once for a moment instead of
    /// each waiting out its deadline.
    case unavailable(String)

    public var description: String {
        switch self {
        case .configuration(let m), .timeout(let m), .failed(let m), .unavailable(let m): return m
        }
    }
}
