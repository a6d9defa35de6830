import AsyncHTTPClient
import Foundation
import NIOCore
import TestImages
import Testing
import WireTesting

/// Issue 21's end-to-end check: a corpus of hostile requests to every route of a real `clearsky up`
/// gets clear 4xx answers, and afterwards no service has restarted (`/healthz` shows the supervisor's
/// counts, and every pid is unchanged). Then the counts and a fast stop are checked directly.
@Suite(.serialized) struct HostileCorpusTests {
    typealias Cluster = FaultTests.Cluster

    struct Probe {
        var method: String
        var path: String
        var body: [UInt8]?
        var contentType: String?
        var headers: [(String, String)] = []
        var token: String??
    }

    /// Every route with hostile ids, numbers, bodies and headers.
    static func corpus(mine: String, theirs: String) -> [Probe] {
        let ids = [
            theirs, "..%2F..%2Fetc%2Fpasswd", "%00", String(repeating: "A", count: 8_000), "img_%E2%80%AE", "-1",
            "9223372036854775808", "%FF%FE",
        ]
        let numbers = HostileValues.numberTexts.map {
            $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        }
        let badBodies: [[UInt8]] = [
            Array("{not json".utf8), Array("[]".utf8), Array("null".utf8), Array(#"{"a":1e999999}"#.utf8),
            Array(String(repeating: "[", count: 100_000).utf8), Array(#"{"imageId":7,"ops":"x","tags":{}}"#.utf8),
            Array(#"{"username":null,"password":[],"tags":[null],"expiresIn":-9223372036854775808}"#.utf8),
            Array(repeating: 0xFF, count: 2048), [],
        ]
        var probes: [Probe] = []
        let jsonRoutes = [
            "/v1/auth/signup", "/v1/auth/confirm", "/v1/auth/resend-code", "/v1/auth/login", "/v1/auth/refresh",
            "/v1/auth/logout", "/v1/auth/password/forgot", "/v1/auth/password/reset",
            "/v1/auth/password/change", "/v1/process", "/v1/jobs", "/v1/tags/bulk", "/v1/search/similar",
            "/v1/subscriptions", "/v1/subscriptions/confirm", "/v1/recognize",
        ]
        for route in jsonRoutes {
            for body in badBodies {
                probes.append(Probe(method: "POST", path: route, body: body, contentType: "application/json"))
            }
        }
        for id in ids {
            for template in [
                "/v1/images/%@", "/v1/images/%@/content", "/v1/images/%@/thumbnail", "/v1/jobs/%@",
                "/v1/jobs/%@/result", "/v1/subscriptions/%@", "/v1/images/by-key/%@", "/v1/images/by-key/%@/content",
            ] {
                let path = template.replacingOccurrences(of: "%@", with: id)
                probes.append(Probe(method: "GET", path: path))
                probes.append(Probe(method: "DELETE", path: path))
            }
            probes.append(
                Probe(
                    method: "PUT", path: "/v1/images/\(id)/tags", body: Array(#"{"tags":["car"]}"#.utf8),
                    contentType: "application/json"))
        }
        for number in numbers {
            for route in ["/v1/images", "/v1/gallery", "/v1/jobs", "/v1/tags"] {
                probes.append(
                    Probe(method: "GET", path: "\(route)?limit=\(number)&cursor=\(number)&tags=car:\(number)"))
            }
            probes.append(
                Probe(
                    method: "GET", path: "/v1/images/\(mine)/content", headers: [("Range", "bytes=\(number)-\(number)")]
                ))
        }
        for range in [
            "bytes=0-9223372036854775807", "bytes=9223372036854775807-", "bytes=-9223372036854775808",
            "bytes=0-0,0-0,0-0," + String(repeating: "1-2,", count: 2_000), "bytes=--1", "lines=0-1",
        ] {
            probes.append(Probe(method: "GET", path: "/v1/images/\(mine)/content", headers: [("Range", range)]))
        }
        let operations = [
            #"[{"op":"crop","x":9223372036854775807,"y":0,"width":10,"height":10}]"#,
            #"[{"op":"resize","width":9223372036854775807,"height":1}]"#,
            #"[{"op":"resize","width":100000,"height":100000}]"#,
            #"[{"op":"rotate","degrees":1e308}]"#, #"[{"op":"blur","sigma":-1e-300}]"#,
            #"[{"op":"sharpen","amount":"NaN"}]"#, #"[{"op":"threshold","level":-9223372036854775808}]"#,
            #"[{"op":"median","radius":2147483648}]"#, #"[{"op":"dehaze","omega":1e999}]"#,
        ]
        for ops in operations {
            let body = Array(#"{"imageId":"\#(mine)","ops":\#(ops)}"#.utf8)
            probes.append(Probe(method: "POST", path: "/v1/process", body: body, contentType: "application/json"))
            probes.append(Probe(method: "POST", path: "/v1/jobs", body: body, contentType: "application/json"))
        }
        for upload in [
            [UInt8](), Array(TestImages.building.prefix(600)), Array(repeating: 0x89, count: 4096),
            PNGBytes.chunk(
                "IHDR", PNGBytes.bigEndian(0xFFFF_FFFF) + PNGBytes.bigEndian(0xFFFF_FFFF) + [8, 2, 0, 0, 0]),
        ] {
            probes.append(Probe(method: "POST", path: "/v1/images", body: upload, contentType: "image/jpeg"))
            probes.append(Probe(method: "POST", path: "/v1/recognize", body: upload, contentType: "image/jpeg"))
        }
        probes.append(
            Probe(
                method: "POST", path: "/v1/images",
                body: Array("--x\r\nContent-Disposition: form-data; name=\"file\"".utf8),
                contentType: "multipart/form-data; boundary=x"))
        probes.append(
            Probe(
                method: "POST", path: "/v1/images", body: Array(repeating: 0, count: 16),
                contentType: "multipart/form-data"))
        probes.append(
            Probe(
                method: "POST", path: "/v1/images",
                body: Array("--b\r\n".utf8) + [0xFF] + Array("name: x\r\n\r\nbody\r\n--b--\r\n".utf8),
                contentType: "multipart/form-data; boundary=b"))
        for forged in [
            "Bearer ", "Bearer a.b.c", "Bearer " + String(repeating: "x", count: 9_000), "Basic abc", "bearer",
        ] {
            probes.append(Probe(method: "GET", path: "/v1/me", headers: [("Authorization", forged)], token: .some(nil)))
        }
        probes.append(Probe(method: "PATCH", path: "/v1/me"))
        // Last: it signs the caller out, so everything before it runs signed in.
        for body in badBodies {
            probes.append(
                Probe(method: "POST", path: "/v1/auth/logout-all", body: body, contentType: "application/json"))
        }
        probes.append(Probe(method: "GET", path: "/v1/" + String(repeating: "a/", count: 3_000)))
        return probes
    }

    @Test func aHostileCorpusRestartsNothing() async throws {
        let cluster = try await Cluster.start()
        let victim = try await Cluster.signIn(port: cluster.port, data: cluster.data, name: "victim")
        let theirs = try Self.id(
            try await FaultTests.send(
                "POST", cluster.base + "/v1/images", raw: TestImages.building, token: victim))
        let mine = try Self.id(try await cluster.call("POST", "/v1/images", raw: TestImages.building))
        let services = ["AuthSvc", "StoreSvc", "ProcessSvc", "TagSvc", "Gateway"]
        let pids = try services.map { try pid(of: $0, in: cluster.data) }

        var failures: [String] = []
        var statuses: [UInt: Int] = [:]
        let corpus = Self.corpus(mine: mine, theirs: theirs)
        for probe in corpus {
            var request = HTTPClientRequest(url: cluster.base + probe.path)
            request.method = .init(rawValue: probe.method)
            if let token = probe.token ?? cluster.token {
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
            }
            for (name, value) in probe.headers { request.headers.replaceOrAdd(name: name, value: value) }
            if let type = probe.contentType { request.headers.add(name: "Content-Type", value: type) }
            if let body = probe.body { request.body = .bytes(ByteBuffer(bytes: body)) }
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
                _ = try await response.body.collect(upTo: 200 << 20)
                statuses[response.status.code, default: 0] += 1
                if response.status.code >= 500 {
                    failures.append("\(probe.method) \(probe.path.prefix(80)) → \(response.status.code)")
                }
            } catch {
                failures.append("\(probe.method) \(probe.path.prefix(80)) → \(error)")
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(20))")
        // The corpus reached the handlers: it was refused for many different reasons.
        #expect(corpus.count > 400)
        for status: UInt in [400, 401, 404, 416, 422] {
            #expect(statuses[status, default: 0] > 0, "no \(status) in \(statuses)")
        }

        let health = try await Self.health(cluster.port)
        #expect(health.status == 200)
        #expect(health.restarts == ["auth": 0, "store": 0, "process": 0, "tag": 0, "gateway": 0])
        #expect(try services.map { try pid(of: $0, in: cluster.data) } == pids)
        // The other user's image is untouched.
        let still = try await FaultTests.send("GET", cluster.base + "/v1/images/\(theirs)", token: victim)
        #expect(still.status == 200)
        try await cluster.stop()
    }

    /// The counts move when a service dies; a SIGTERM during a restart's back-off stops everything at once.
    @Test func restartsAreCountedAndAStopDoesNotWaitForTheBackOff() async throws {
        let cluster = try await Cluster.start()
        // Each quick death doubles the wait before the next start: 0.5, 1, 2, then 4 s.
        for round in 1...4 {
            let before = try pid(of: "StoreSvc", in: cluster.data)
            kill(before, SIGKILL)
            if round < 4 {
                try await eventually(within: .seconds(30)) {
                    (try? pid(of: "StoreSvc", in: cluster.data)).map { $0 != before } ?? false
                }
            }
        }
        try await eventually(within: .seconds(10)) { (try? await Self.health(cluster.port))?.restarts?["store"] == 4 }
        let stopped = ContinuousClock.now
        cluster.up.terminate()
        try await eventually(within: .seconds(30)) { !cluster.up.isRunning }
        // Stopped inside the 4 s back-off, not after it (the issue asks for two seconds).
        #expect(ContinuousClock.now - stopped < .seconds(3))
        #expect(!FileManager.default.fileExists(atPath: "\(cluster.data)/run/StoreSvc.pid"))
        try? FileManager.default.removeItem(atPath: cluster.data)
    }

    static func id(_ response: (status: Int, body: [UInt8], etag: String?)) throws -> String {
        try #require(response.status == 201, "upload: \(String(decoding: response.body, as: UTF8.self))")
        return try #require(try FaultTests.object(response.body)["id"] as? String)
    }

    static func health(_ port: Int) async throws -> (status: Int, restarts: [String: Int]?) {
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 20)
        let object = try JSONSerialization.jsonObject(with: Data(Array(buffer: body))) as? [String: Any]
        return (Int(response.status.code), object?["restarts"] as? [String: Int])
    }
}
