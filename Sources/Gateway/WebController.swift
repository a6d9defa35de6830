import Hummingbird

/// The web UI: the app shell for every screen's URL, and the assets under `/assets/<version>/`.
struct WebController: Sendable {
    let assets: WebAssets

    /// Screens with URLs of their own (the History API's); each answers with the shell.
    static let screens = [
        "gallery", "public", "upload", "process", "recognize", "jobs", "tags", "subscriptions", "account",
        "signin", "signup", "confirm", "forgot",
    ]

    /// Scripts only from the gateway, never inline; images also from blob: URLs (previews of files
    /// being uploaded or processed); nothing may frame the app.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
        + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    func register(on router: Router<GatewayContext>) {
        router.get("/") { request, _ in shell(request) }
        for screen in Self.screens { router.get(RouterPath(screen)) { request, _ in shell(request) } }
        router.get("images/:id") { request, _ in shell(request) }
        // The API's contract, for people and for generators (`no-cache`: revalidated by ETag).
        router.get("openapi.yaml") { request, _ -> Response in
            guard let document = assets.openAPIYAML else { throw APIError(.notFound, "NotFound", "No document") }
            return serve(document, request: request, cacheControl: "no-cache")
        }
        router.get("openapi.json") { request, _ -> Response in
            guard let document = assets.openAPIJSON else { throw APIError(.notFound, "NotFound", "No document") }
            return serve(document, request: request, cacheControl: "no-cache")
        }
        router.get("assets/**") { request, context -> Response in
            let parts = context.parameters.getCatchAll()
            guard parts.count >= 2, parts[0] == assets.version,
                let asset = assets.files[parts.dropFirst().joined(separator: "/")]
            else { throw APIError(.notFound, "NotFound", "No such asset") }
            return serve(asset, request: request, cacheControl: "public, max-age=31536000, immutable")
        }
    }

    private func shell(_ request: Request) -> Response {
        var response = serve(assets.shell, request: request, cacheControl: "no-cache")
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        return response
    }

    private func serve(_ asset: WebAssets.Asset, request: Request, cacheControl: String) -> Response {
        var headers: HTTPFields = [
            .contentType: asset.contentType, .eTag: asset.etag, .cacheControl: cacheControl, .vary: "Accept-Encoding",
        ]
        if request.headers[values: .ifNoneMatch].contains(where: { $0.contains(asset.etag) }) {
            return Response(status: .notModified, headers: headers)
        }
        if Gzip.accepted(by: request), let gzipped = asset.gzipped {
            headers[.contentEncoding] = "gzip"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: gzipped)))
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}
