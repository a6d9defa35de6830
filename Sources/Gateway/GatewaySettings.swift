import Foundation
import NetworkAddresses

/// The gateway's configuration, with the defaults a small team would choose. Each is a flag and a
/// `CLEARSKY_*` variable of the `Gateway` executable (README, "Settings").
struct GatewaySettings: Sendable {
    /// Largest image upload in bytes. Default 50 MiB.
    var uploadLimit = GatewayApp.defaultUploadLimit
    /// The URL people reach Clearsky at (`https://photos.example.org`), for links in mails and webhook
    /// payloads; nil: the gateway's own address. The Host header is never used for links (M5).
    var publicURL: String?
    /// Heavy requests (uploads, processing, recognition, job submissions) one user may have in flight
    /// at once; the next answers 429 with Retry-After. Default 4.
    var heavyRequestsPerUser = 4
    /// Heavy requests in flight for everyone together; the next answers 503 with Retry-After. Default 32.
    var heavyRequestsTotal = 32
    /// Reverse proxies in front of the gateway, whose `X-Forwarded-For` names the client for throttling
    /// (M9). Default none: the socket's peer is the client.
    var trustedProxies: [AddressRange] = []
    /// The web UI's files; nil serves the API alone.
    var web: WebAssets?
    /// The supervisor's restart counts (`clearsky up` sets `CLEARSKY_RESTARTS_FILE`), shown by `/healthz`.
    var restartsFile: String?
    /// Open HTTP connections accepted at once; more wait in the listen backlog. Default 4096.
    var maxConnections = 4096
    /// A connection with no request in progress is closed after this. Default 60 s.
    var idleTimeout = Duration.seconds(60)
    /// A request's head must arrive within this of the connection opening or the previous answer. Default 20 s.
    var headerTimeout = Duration.seconds(20)
    /// A request's body must arrive within this of its head. Default 120 s (50 MiB at 3.5 Mbit/s).
    var bodyTimeout = Duration.seconds(120)
    /// How long a request waits for ProcessSvc (synchronous processing included). Past it the request answers
    /// 504 and the work it started is cancelled on every hop, since each Wire call inherits what is left of
    /// the deadline. Default 120 s.
    var processTimeout = Duration.seconds(120)
    /// How long token verification keys are cached before they are fetched again: a key revoked with
    /// `clearsky revoke-key` stops verifying within it. Default 30 s, at most 60.
    var keyCacheAge = Duration.seconds(30)

    /// `publicURL` without a trailing slash, when it is an absolute http(s) URL with a host.
    static func checkedPublicURL(_ text: String) -> String? {
        let trimmed = String(text.reversed().drop(while: { $0 == "/" }).reversed())
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil, url.user == nil
        else { return nil }
        return trimmed
    }

    /// Whether Clearsky is served over HTTPS (so HSTS applies).
    var servedOverHTTPS: Bool { publicURL?.lowercased().hasPrefix("https://") ?? false }
}
