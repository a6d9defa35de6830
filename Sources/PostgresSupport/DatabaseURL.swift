import Foundation
import NIOSSL
import PostgresNIO
import Wire

/// Where a service's PostgreSQL database is: `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=MODE`
/// (`--database` or `CLEARSKY_DATABASE_URL`). User and password may be percent-encoded; the port defaults
/// to 5432; `sslmode` is `disable`, `prefer` (the default: TLS when the server offers it) or `require`
/// (TLS with the server's certificate checked against the system's roots and its host name).
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable { case disable, prefer, require }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    public init(_ text: String) throws(WireError) {
        guard text.utf8.count <= 2048, let components = URLComponents(string: text),
            components.scheme == "postgres" || components.scheme == "postgresql"
        else {
            throw WireError(.invalidArgument, "The database URL must look like postgres://USER:PASSWORD@HOST:PORT/DB")
        }
        guard let host = components.host, !host.isEmpty else {
            throw WireError(.invalidArgument, "The database URL names no host")
        }
        guard let user = components.user?.removingPercentEncoding, !user.isEmpty else {
            throw WireError(.invalidArgument, "The database URL names no user")
        }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else {
            throw WireError(.invalidArgument, "The database URL's port is out of range")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw WireError(.invalidArgument, "The database URL names no database (…/DATABASE)")
        }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw WireError(.invalidArgument, "sslmode must be disable, prefer or require")
                }
                tls = mode
            default:
                throw WireError(.invalidArgument, "The database URL's parameter \(item.name) is not known")
            }
        }
        // An IPv6 literal comes bracketed from URLComponents on some platforms.
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = port
        self.username = user
        self.password = components.password?.removingPercentEncoding
        self.database = database
        self.tls = tls
    }

    /// The URL without its password, for logs.
    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)" }

    /// One connection's configuration, for the probe that tells a server still starting from refused
    /// credentials (the client's pool retries both alike).
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch self.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    /// postgres-nio's configuration for a client whose connections use `schema` as their search path.
    func clientConfiguration(schema: String) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch self.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(.makeClientConfiguration())
        case .require: tls = .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.additionalStartupParameters = [("search_path", schema)]
        configuration.options.maximumConnections = 16
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }
}
