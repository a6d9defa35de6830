import Foundation
import HummingbirdTesting
import TestImages
import Testing
import WireTesting

/// A corpus of hostile requests through the gateway in front of real services, in this process: a trap
/// anywhere (the gateway, StoreSvc, ProcessSvc, TagSvc) ends the test run, so every request here must get
/// a clear 4xx answer, and a normal request must still work after them.
@Suite struct HostileRequestTests {
    static let huge = "9223372036854775807"

    @Test func hostileNumbersGetClearErrorsAndNothingCrashes() async throws {
        try await ClusterHarness.run(workers: true) { cluster in
            let token = try await cluster.user("mallory")
            let image = try cluster.object(
                try await cluster.upload("/v1/images", file: TestImages.building, token: token))
            let id = try #require(image["id"] as? String)
            let content = "/v1/images/\(id)/content"
            var answers: [(String, Int)] = []
            func record(_ name: String, _ response: TestResponse) {
                answers.append((name, Int(response.status.code)))
            }
            // C1: Range headers at and past Int.max.
            for range in [
                "bytes=0-\(Self.huge)", "bytes=\(Self.huge)-", "bytes=-\(Self.huge)", "bytes=0-99999999999999999999999",
                "bytes=-9223372036854775808", "bytes=\(Self.huge)-\(Self.huge)", "bytes=--1", "bytes=0x10-",
            ] {
                record(range, try await cluster.request(.get, content, token: token, headers: [.range: range]))
            }
            // H1 and H3: operations with absurd numbers, on demand and as jobs.
            let hostileOps = [
                #"[{"op":"crop","x":\#(Self.huge),"y":0,"width":10,"height":10}]"#,
                #"[{"op":"crop","x":9223372036854775000,"y":9223372036854775000,"width":10000,"height":10000}]"#,
                #"[{"op":"crop","x":0,"y":0,"width":\#(Self.huge),"height":\#(Self.huge)}]"#,
                #"[{"op":"crop","x":-9223372036854775808,"y":0,"width":1,"height":1}]"#,
                #"[{"op":"resize","width":32768,"height":32768,"fit":"fill"}]"#,
                #"[{"op":"resize","width":32768,"height":32768,"fit":"cover"},{"op":"rotate","degrees":45}]"#,
                #"[{"op":"rotate","degrees":1e308}]"#, #"[{"op":"rotate","degrees":-1e-300}]"#,
                #"[{"op":"blur","sigma":1e-300}]"#, #"[{"op":"sharpen","sigma":5e-324}]"#,
                #"[{"op":"dehaze","patch":\#(Self.huge)}]"#, #"[{"op":"threshold","value":-9223372036854775808}]"#,
            ]
            for ops in hostileOps {
                record(
                    "process \(ops)",
                    try await cluster.json(
                        .post, "/v1/process", ["imageId": id, "ops": try Self.array(ops)], token: token))
            }
            var jobs: [String] = []
            for ops in hostileOps.prefix(2) {
                let response = try await cluster.upload(
                    "/v1/jobs", file: TestImages.building, fields: ["ops": ops], token: token)
                if response.status == .accepted, let job = try cluster.object(response)["id"] as? String {
                    jobs.append(job)
                } else {
                    record("job \(ops)", response)
                }
            }
            // Limits, cursors and tag counts.
            for query in [
                "limit=\(Self.huge)", "limit=-1", "limit=99999999999999999999", "cursor=\(Self.huge)", "cursor=%00",
                "tags=person:\(Self.huge)", "tags=person:-1", "tags=person:99999999999999999999", "tags=:", "tags=",
            ] {
                record(query, try await cluster.request(.get, "/v1/images?\(query)", token: token))
            }
            record("jobs limit", try await cluster.request(.get, "/v1/jobs?limit=\(Self.huge)", token: token))
            record(
                "bulk count",
                try await cluster.json(
                    .post, "/v1/tags/bulk", ["imageIds": [id], "add": [["tag": "x", "count": Int.max]]], token: token))
            record(
                "set tags count",
                try await cluster.json(
                    .put, "/v1/images/\(id)/tags", ["tags": [["tag": "x", "count": -1]]], token: token))
            for (name, status) in answers {
                #expect((400..<500).contains(status) || status == 206 || status == 200, "\(name) → \(status)")
                #expect(status < 500, "\(name) → \(status)")
            }
            // The jobs with hostile operations end in error with a reason; nothing crashed on the way.
            for job in jobs {
                let finished = try await Self.finished(cluster, job: job, token: token)
                #expect(finished["status"] as? String == "error")
                #expect((finished["error"] as? String)?.contains("crop") == true, "\(finished)")
            }
            // And the cluster still serves ordinary requests.
            let ordinary = try await cluster.request(
                .get, content, token: token, headers: [.range: "bytes=0-\(Self.huge)"])
            #expect(ordinary.status == .partialContent && cluster.bytes(ordinary) == TestImages.building)
            let processed = try await cluster.json(
                .post, "/v1/process", ["imageId": id, "ops": [["op": "resize", "width": 64]]], token: token)
            #expect(processed.status == .ok)
        }
    }

    /// M5 and L7: links in mails use the configured public URL, not the request's Host; responses carry
    /// the security headers (HSTS since the public URL is https), and token responses are never stored.
    /// L8 and L9: a key segment is percent-decoded once; a file name with a quoted semicolon or given
    /// as `filename*` arrives whole.
    @Test func keysAreDecodedOnceAndFileNamesParsedAsTheRFCsSay() async throws {
        try await ClusterHarness.run(workers: false) { cluster in
            let token = try await cluster.user("keys")
            let upload = try await cluster.upload(
                "/v1/images", file: TestImages.building, filename: "a;b.jpg", fields: ["key": "odd/a%41 b.jpg"],
                token: token)
            #expect(upload.status == .created)
            #expect(try cluster.object(upload)["filename"] as? String == "a;b.jpg")
            let once = try await cluster.request(.get, "/v1/images/by-key/odd/a%2541%20b.jpg", token: token)
            #expect(once.status == .ok)
            // Decoding twice would have turned %2541 into "A".
            let twice = try await cluster.request(.get, "/v1/images/by-key/odd/aA%20b.jpg", token: token)
            #expect(twice.status == .notFound)

            let boundary = "b0undary"
            var body = Array(
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''%C3%A9t%C3%A9.jpg; filename=\"ete.jpg\"\r\n\r\n"
                    .utf8)
            body += TestImages.building + Array("\r\n--\(boundary)--\r\n".utf8)
            let extended = try await cluster.request(
                .post, "/v1/images", token: token,
                headers: [.contentType: "multipart/form-data; boundary=\"\(boundary)\""], body: body)
            #expect(extended.status == .created)
            #expect(try cluster.object(extended)["filename"] as? String == "été.jpg")
            // A non-ASCII byte in a part's header name made MultipartKit trap (found by MultipartFuzz).
            let trap = Array("--b\r\n".utf8) + [0xFF] + Array("name: x\r\n\r\nbody\r\n--b--\r\n".utf8)
            let refused = try await cluster.request(
                .post, "/v1/images", token: token, headers: [.contentType: "multipart/form-data; boundary=b"],
                body: trap)
            #expect(refused.status == .badRequest)
        }
    }

    @Test func linksUseThePublicURLAndResponsesCarrySecurityHeaders() async throws {
        try await ClusterHarness.run(workers: false, publicURL: "https://photos.example.org") { cluster in
            let token = try await cluster.user("hosty")
            let subscribe = try await cluster.request(
                .post, "/v1/subscriptions", token: token,
                headers: [.contentType: "application/json"],
                body: Array(#"{"tags":["car"],"channel":"email","target":"other@example.com"}"#.utf8))
            #expect(subscribe.status == .created)
            let mail = try #require(try cluster.outbox.messages().last { $0.text.contains("To: other@example.com") })
            #expect(mail.text.contains("https://photos.example.org/v1/subscriptions/confirm?token="))
            #expect(subscribe.headers[.init("Strict-Transport-Security")!]?.hasPrefix("max-age=") == true)
            #expect(subscribe.headers[.init("X-Content-Type-Options")!] == "nosniff")
            #expect(subscribe.headers[.init("Referrer-Policy")!] == "no-referrer")
            let login = try await cluster.json(
                .post, "/v1/auth/login", ["username": "hosty", "password": "Corr3ct-horse"])
            #expect(login.status == .ok && login.headers[.cacheControl] == "no-store")
            let failed = try await cluster.json(.post, "/v1/auth/login", ["username": "hosty", "password": "nope"])
            #expect(failed.headers[.cacheControl] == "no-store")
            #expect(failed.headers[.init("X-Content-Type-Options")!] == "nosniff")
        }
    }

    static func array(_ json: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(json.utf8)) }

    static func finished(_ cluster: ClusterHarness, job: String, token: String) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let state = try cluster.object(try await cluster.request(.get, "/v1/jobs/\(job)", token: token))
            let status = state["status"] as? String
            if status == "error" || status == "completed" || ContinuousClock.now > deadline { return state }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
