import AsyncHTTPClient
import Foundation
import NIOCore
import TestImages
import Testing
import WireTesting

/// One request followed through every process of a real `clearsky up` by its trace id: the gateway's
/// access line, StoreSvc storing the upload, ProcessSvc making its thumbnail and TagSvc detecting its
/// objects (both after the event log, in the trace of the upload that made the event).
@Suite(.serialized) struct TraceTests {
    struct Image: Decodable {
        var id: String
        var tagging: String
        var tags: [Tag]
        struct Tag: Decodable { var tag: String }
    }

    @Test func oneUploadsTraceIdIsInEveryServicesLog() async throws {
        let log = try temporaryFolder() + "/cluster.log"
        let cluster = try await FaultTests.Cluster.start(logLevel: "debug", log: log)
        let traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
        var upload = HTTPClientRequest(url: cluster.base + "/v1/images?key=traced/street.jpg")
        upload.method = .POST
        upload.headers.add(name: "Authorization", value: "Bearer \(cluster.token)")
        upload.headers.add(name: "Content-Type", value: "image/jpeg")
        upload.headers.add(name: "traceparent", value: "00-\(traceId)-00f067aa0ba902b7-01")
        upload.body = .bytes(ByteBuffer(bytes: TestImages.street))
        // A client without a tracer: one made when this process has one (any in-process service installs
        // it) would add a traceparent of its own.
        var configuration = HTTPClient.Configuration()
        configuration.tracing.tracer = nil
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        func send() async throws -> (HTTPClientResponse, ByteBuffer) {
            let response = try await client.execute(upload, timeout: .seconds(60))
            return (response, try await response.body.collect(upTo: 1 << 20))
        }
        let sent: (HTTPClientResponse, ByteBuffer)
        do { sent = try await send() } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
        let (response, body) = sent
        #expect(response.status.code == 201)
        // The answer names the gateway's own span in the caller's trace (not the caller's span).
        let answered = try #require(response.headers.first(name: "traceparent"))
        #expect(answered.hasPrefix("00-\(traceId)-") && !answered.contains("00f067aa0ba902b7"), "\(answered)")
        let image = try JSONDecoder().decode(Image.self, from: Data(Array(buffer: body)))

        // Detection runs after the event log; then its log line is there.
        try await eventually(within: .seconds(90)) {
            let got = try await FaultTests.send("GET", cluster.base + "/v1/images/\(image.id)", token: cluster.token)
            return try JSONDecoder().decode(Image.self, from: Data(got.body)).tagging == "done"
        }
        // Each service's line about this upload (the gateway's access line names the route, not the image).
        let needed = [
            ("clearsky.gateway", "POST /v1/images 201"), ("clearsky.store", "Image stored \(image.id)"),
            ("clearsky.process", "Thumbnail ready \(image.id)"), ("clearsky.tag", "Image tagged \(image.id)"),
        ]
        func missing() throws -> [String] {
            let traced = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
                .filter { $0.contains("trace=\(traceId)") }
            return needed.filter { label, words in
                !traced.contains { line in
                    line.contains(label) && words.split(separator: " ").allSatisfy { line.contains($0) }
                }
            }.map { "\($0.0): \($0.1)" }
        }
        try await eventually(within: .seconds(30)) { try missing().isEmpty }
        #expect(try missing() == [])
        try await cluster.stop()
    }
}
