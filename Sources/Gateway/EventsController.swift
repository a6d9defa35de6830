import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import Wire

/// `GET /v1/events`: the signed-in user's changes as server-sent events — `job.changed`,
/// `image.created`, `image.replaced`, `image.deleted`, `image.tagsChanged` (detection finished or a
/// person edited tags) — read from StoreSvc's event log by owner, so any gateway can serve any user.
/// Each event's `id` is its sequence in the log; a client that reconnects with `Last-Event-ID` gets
/// what it missed. Without one the stream starts at the log's end. A comment every 25 s keeps
/// proxies from closing an idle stream; `?once=1` answers one batch and ends (for scripts and tests).
struct EventsController: Sendable {
    let backends: Backends
    let verifier: TokenVerifier
    /// Streams open at once: 4 per account, 2,000 in all.
    let streams = HeavyRequests(perUser: 4, total: 2_000, what: "event streams")

    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    func register(on router: Router<GatewayContext>) {
        router.get("v1/events") { request, _ -> Response in
            let owner = try await verifier.authenticate(request).sub
            let once = request.uri.queryParameters.get("once") == "1"
            let store = try backends.client(.store)
            let after: Int64
            let query = request.uri.queryParameters.get("after").map { String($0) }
            if let text = request.headers[Self.lastEventID] ?? query {
                guard let value = Self.sequence(text) else {
                    throw APIError(.badRequest, "InvalidParameter", "Last-Event-ID is an event's id (digits)")
                }
                after = value
            } else {
                // From now on: the log's end.
                after = try await store.call(
                    StoreContract.readEvents,
                    ReadEventsRequest(owner: owner, after: Int64.max - 1, limit: 1, waitMillis: 0)
                ).committed
            }
            try streams.enter(owner)
            let streams = self.streams
            let start = after
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/event-stream", .cacheControl: "no-store", .init("X-Accel-Buffering")!: "no",
                ],
                body: ResponseBody { writer in
                    defer { streams.leave(owner) }
                    var after = start
                    try await writer.write(ByteBuffer(string: "retry: 3000\n\n"))
                    while !Task.isCancelled {
                        let batch: EventBatch
                        do {
                            batch = try await store.call(
                                StoreContract.readEvents,
                                ReadEventsRequest(
                                    owner: owner, after: after, limit: 100, waitMillis: once ? 0 : 25_000),
                                timeout: .seconds(40))
                        } catch {
                            break  // StoreSvc is away: the client reconnects with its Last-Event-ID.
                        }
                        if batch.events.isEmpty {
                            try await writer.write(ByteBuffer(string: ": waiting\n\n"))
                        }
                        for event in batch.events {
                            try await writer.write(ByteBuffer(string: Self.frame(event)))
                            after = event.sequence
                        }
                        if once { break }
                    }
                    try await writer.finish(nil)
                })
        }
    }

    /// One event as the stream carries it.
    static func frame(_ event: StoreEvent) -> String {
        let data = try! JSONSerialization.data(
            withJSONObject: [
                "kind": event.kind, "id": event.imageId,
                "at": Date(timeIntervalSince1970: Double(event.createdAt) / 1000).formatted(.iso8601),
            ], options: [.sortedKeys])
        return "id: \(event.sequence)\nevent: \(event.kind)\ndata: \(String(decoding: data, as: UTF8.self))\n\n"
    }

    static func sequence(_ text: String) -> Int64? {
        guard (1...19).contains(text.utf8.count),
            text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return nil }
        return Int64(text)
    }
}
