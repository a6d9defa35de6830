import Contracts
import Foundation
import HTTPTypes
import TestImages
import TestServers
import Testing
import Wire
import WireTesting

@testable import Gateway

/// `GET /v1/events`: a user's own changes from the event log, resumable by Last-Event-ID.
@Suite struct EventStreamTests {
    struct Frame: Equatable {
        var id: Int64
        var event: String
        var subject: String
    }

    /// What an event's data names: the image or job it is about.
    struct Subject: Decodable { var id: String }

    static func frames(_ text: String) -> [Frame] {
        text.components(separatedBy: "\n\n").compactMap { block -> Frame? in
            var id: Int64?
            var event: String?
            var subject: String?
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { id = Int64(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") {
                    subject = (try? JSONDecoder().decode(Subject.self, from: Data(line.dropFirst(6).utf8)))?.id
                }
            }
            guard let id, let event, let subject else { return nil }
            return Frame(id: id, event: event, subject: subject)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aUserSeesTheirOwnChangesAndResumes(_ backend: StoreBackend) async throws {
        try await ClusterHarness.run(backend, workers: true, tagging: true) { cluster in
            let alice = try await cluster.user("evie")
            let bob = try await cluster.user("bert")
            let start = try await cluster.request(.get, "/v1/events?once=1", token: alice)
            #expect(start.status == .ok && start.headers[.contentType] == "text/event-stream")
            #expect(start.headers[.cacheControl] == "no-store")
            let image = try cluster.decode(
                API.Image.self, try await cluster.upload("/v1/images", file: TestImages.building, token: alice)
            ).id
            _ = try await cluster.upload("/v1/images", file: TestImages.camera, filename: "b.png", token: bob)
            let job = try cluster.decode(
                API.Job.self, try await cluster.json(.post, "/v1/jobs", ["imageId": image], token: alice)
            ).id
            // Everything of Alice's since the start: the upload, her job's changes, tagging done; none of Bob's.
            var seen: [Frame] = []
            let complete = try await eventually(timeout: .seconds(60)) {
                let response = try await cluster.request(.get, "/v1/events?once=1&after=0", token: alice)
                seen = Self.frames(String(buffer: response.body))
                return seen.contains { $0.event == "image.tagsChanged" && $0.subject == image }
                    && seen.filter { $0.event == "job.changed" && $0.subject == job }.count >= 3
            }
            #expect(complete, "\(seen)")
            #expect(seen.contains { $0.event == "image.created" && $0.subject == image })
            let hers = Set([image, job] + seen.filter { $0.event == "image.created" }.map(\.subject))
            #expect(seen.allSatisfy { hers.contains($0.subject) })
            #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.id < $1.id })
            // Resuming after the first frame gives the rest, not the first again.
            let first = try #require(seen.first)
            let resumed = Self.frames(
                String(
                    buffer: try await cluster.request(
                        .get, "/v1/events?once=1", token: alice,
                        headers: [HTTPField.Name("Last-Event-ID")!: String(first.id)]
                    ).body))
            #expect(resumed.first?.id ?? 0 > first.id)
            // Bob's own stream has his upload only.
            let his = Self.frames(
                String(buffer: try await cluster.request(.get, "/v1/events?once=1&after=0", token: bob).body))
            #expect(his.count >= 1 && !his.contains { $0.subject == image || $0.subject == job })
            #expect(
                try await cluster.request(
                    .get, "/v1/events?once=1", token: alice, headers: [HTTPField.Name("Last-Event-ID")!: "-1"]
                ).status == .badRequest)
            #expect(try await cluster.request(.get, "/v1/events?once=1", token: nil).status == .unauthorized)
        }
    }
}
