import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Wire
import WireTesting

@testable import Gateway

/// `web/openapi.yaml` is the API's contract: it names exactly the routes the gateway's router has, and
/// the gateway serves it as YAML and as the same document in JSON.
@Suite struct OpenAPIDocumentTests {
    static let web = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("web").path

    func router() throws -> (Router<GatewayContext>, WebAssets) {
        var settings = GatewaySettings()
        let assets = try WebAssets(folder: Self.web)
        settings.web = assets
        let backends = Backends(peers: [:], credentials: .plain(WireHarness.secret))
        return (GatewayApp.router(backends: backends, registry: .init(), settings: settings), assets)
    }

    /// `/v1/images/{id}` and `/v1/images/:id` alike → `/v1/images/{}`; a catch-all `**` → `{}`.
    static func shape(_ path: String) -> String {
        "/"
            + path.split(separator: "/").map { part -> String in
                part.hasPrefix("{") || part.hasPrefix(":") || part == "**" || part == "*" ? "{}" : String(part)
            }.joined(separator: "/")
    }

    /// Every `METHOD shape` the document names; a path parameter with an `enum` stands for each value.
    static func documented(_ document: [String: Any]) throws -> Set<String> {
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var routes = Set<String>()
        for (path, item) in paths {
            var expanded = [path]
            var parameters = (item["parameters"] as? [[String: Any]]) ?? []
            for method in ["get", "put", "post", "delete", "patch"] {
                parameters += ((item[method] as? [String: Any])?["parameters"] as? [[String: Any]]) ?? []
            }
            for parameter in parameters where parameter["in"] as? String == "path" {
                guard let name = parameter["name"] as? String,
                    let values = (parameter["schema"] as? [String: Any])?["enum"] as? [String]
                else { continue }
                expanded = expanded.flatMap { path in
                    values.map { path.replacingOccurrences(of: "{\(name)}", with: $0) }
                }
            }
            for method in ["get", "put", "post", "delete", "patch"] where item[method] != nil {
                for path in expanded { routes.insert("\(method.uppercased()) \(shape(path))") }
            }
        }
        return routes
    }

    @Test func theDocumentNamesEveryRouteAndNoOther() throws {
        let (router, assets) = try router()
        let json = try #require(assets.openAPIJSON)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let served = Set(router.routes.map { "\($0.method) \(Self.shape($0.path.description))" })
        let documented = try Self.documented(document)
        #expect(served.count > 40)
        #expect(served.subtracting(documented).sorted() == [], "routes the document lacks")
        #expect(documented.subtracting(served).sorted() == [], "documented routes the gateway lacks")
    }

    @Test func theComparisonSeesParametersCatchAllsAndEnumeratedScreens() throws {
        let document: [String: Any] = [
            "paths": [
                "/v1/x/{id}": ["get": [:], "delete": [:]],
                "/{screen}": [
                    "get": ["parameters": [["name": "screen", "in": "path", "schema": ["enum": ["a", "b"]]]]]
                ],
            ]
        ]
        #expect(try Self.documented(document) == ["GET /v1/x/{}", "DELETE /v1/x/{}", "GET /a", "GET /b"])
        #expect(Self.shape("/v1/images/:id/content") == "/v1/images/{}/content")
        #expect(Self.shape("/assets/**") == "/assets/{}")
    }

    @Test func everyOperationSaysWhatItAnswersAndWhoMayCallIt() throws {
        let (_, assets) = try router()
        let json = try #require(assets.openAPIJSON)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var operationIds = Set<String>()
        for (path, item) in paths {
            for method in ["get", "put", "post", "delete", "patch"] {
                guard let operation = item[method] as? [String: Any] else { continue }
                let id = try #require(operation["operationId"] as? String, "\(method) \(path)")
                #expect(operationIds.insert(id).inserted, "operationId \(id) twice")
                let responses = try #require(operation["responses"] as? [String: Any])
                #expect(!responses.isEmpty && operation["summary"] != nil, "\(method) \(path)")
                // A route that needs a token says what a missing one answers.
                let open = (operation["security"] as? [Any]).map {
                    $0.isEmpty || $0.contains { ($0 as? [String: Any])?.isEmpty == true }
                }
                if open != true, path.hasPrefix("/v1/") {
                    #expect(responses["401"] != nil, "\(method) \(path) lacks 401")
                }
            }
        }
    }

    @Test func theGatewayServesItAsYAMLAndAsJSON() async throws {
        let (router, assets) = try router()
        let app = Application(router: router)
        try await app.test(.router) { client in
            let yaml = try await client.execute(uri: "/openapi.yaml", method: .get)
            #expect(yaml.status == .ok && yaml.headers[.contentType] == "application/yaml; charset=utf-8")
            #expect(Array(yaml.body.readableBytesView) == assets.openAPIYAML?.bytes)
            let json = try await client.execute(uri: "/openapi.json", method: .get)
            #expect(json.status == .ok && json.headers[.contentType] == "application/json; charset=utf-8")
            let document = try JSONSerialization.jsonObject(with: Data(json.body.readableBytesView)) as? [String: Any]
            #expect((document?["info"] as? [String: Any])?["title"] as? String == "Clearsky REST API")
            // A quoted status stays a string key; a plain number stays a number.
            let limit =
                (((document?["components"] as? [String: Any])?["parameters"] as? [String: Any])?["Limit"]
                as? [String: Any])?["schema"] as? [String: Any]
            #expect(limit?["maximum"] as? Int == 200)
            let etag = try #require(json.headers[.eTag])
            let again = try await client.execute(uri: "/openapi.json", method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
        }
    }

    @Test func yamlThatIsNotADocumentIsRefused() {
        #expect(throws: (any Error).self) { try OpenAPIDocument.json(fromYAML: "a: [1, 2") }
        #expect(throws: (any Error).self) { try OpenAPIDocument.json(fromYAML: "") }
        let text = try? OpenAPIDocument.json(fromYAML: "a: \"q\\\"\\n\"\n\"200\": x\nn: null\nt: true\nf: 1.5")
        #expect(
            text.map { String(decoding: $0, as: UTF8.self) } == #"{"a":"q\"\n","200":"x","n":null,"t":true,"f":1.5}"#)
    }
}
