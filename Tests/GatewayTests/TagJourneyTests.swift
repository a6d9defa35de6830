import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Primitives
import TestImages
import TestServers
import Testing
import Wire
import WireTesting

@testable import TagSvc

/// Tags, recognition, similar search and subscriptions through HTTP: the gateway in front of the real
/// services, with TagSvc detecting as images arrive.
@Suite struct TagJourneyTests {
    /// Polls `GET /v1/images/{id}` until tagging is no longer pending; the Image.
    static func tagged(_ cluster: ClusterHarness, _ id: String, token: String) async throws -> API.Image {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let image = try cluster.decode(
                API.Image.self, try await cluster.request(.get, "/v1/images/\(id)", token: token))
            if image.tagging != "pending" || ContinuousClock.now > deadline { return image }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    static func ids(_ cluster: ClusterHarness, _ path: String, token: String) async throws -> [String] {
        try cluster.decode(API.Page<API.Image>.self, try await cluster.request(.get, path, token: token)).items.map(
            \.id)
    }

    @Test(arguments: StoreBackend.allCases)
    func uploadTagQuerySearchAndEdit(_ backend: StoreBackend) async throws {
        try await ClusterHarness.run(backend, tagging: true) { cluster in
            let token = try await cluster.user("tina")
            var ids: [String: String] = [:]
            for (name, bytes) in [
                ("street", TestImages.street), ("building", TestImages.building), ("fruits", TestImages.fruits),
            ] {
                let response = try await cluster.upload(
                    "/v1/images", file: bytes, filename: "\(name).jpg", token: token)
                ids[name] = try cluster.decode(API.Image.self, response).id
            }
            let (street, building, fruits) = (ids["street"]!, ids["building"]!, ids["fruits"]!)

            // The tags are the detector's: what the Detection tests expect of these photos.
            let streetImage = try await Self.tagged(cluster, street, token: token)
            #expect(streetImage.tagging == "done" && streetImage.taggingError == nil)
            #expect(streetImage.tagCounts == ["car×1", "person×2"])
            let firstTag = try #require(streetImage.tags.first)
            #expect(firstTag.source == "auto" && (firstTag.confidence ?? 0) > 0.7)
            #expect(try await Self.tagged(cluster, building, token: token).tagCounts == ["car×1", "person×1"])
            #expect(try await Self.tagged(cluster, fruits, token: token).tagCounts == ["donut×1", "orange×1"])

            // Queries by one and by two tags, with counts; pages.
            #expect(try await Self.ids(cluster, "/v1/images?tags=car", token: token) == [building, street])
            #expect(try await Self.ids(cluster, "/v1/images?tags=person:2", token: token) == [street])
            #expect(try await Self.ids(cluster, "/v1/images?tags=car,person:2", token: token) == [street])
            #expect(try await Self.ids(cluster, "/v1/images?tags=orange,donut", token: token) == [fruits])
            let page = try cluster.decode(
                API.Page<API.Image>.self, try await cluster.request(.get, "/v1/images?tags=car&limit=1", token: token))
            #expect(page.items.map(\.tagCounts) == [["car×1", "person×1"]])
            let cursor = try #require(page.nextCursor)
            #expect(
                try await Self.ids(cluster, "/v1/images?tags=car&limit=1&cursor=\(cursor)", token: token) == [street])
            // The plain list carries tags too.
            let all = try cluster.decode(
                API.Page<API.Image>.self, try await cluster.request(.get, "/v1/images", token: token))
            #expect(all.items.map(\.tagCounts).contains(["donut×1", "orange×1"]))

            let counts = try cluster.decode(
                API.Page<API.TagCount>.self, try await cluster.request(.get, "/v1/tags", token: token))
            let listed = counts.items.map { "\($0.tag)=\($0.images)" }
            #expect(listed == ["car=2", "person=2", "donut=1", "orange=1"])

            // Similar search: an uploaded photo (not stored) finds the images carrying all of its tags.
            let similar = try await cluster.request(
                .post, "/v1/search/similar", token: token, headers: [.contentType: "image/jpeg"],
                body: TestImages.street)
            #expect(similar.status == .ok)
            let found = try cluster.decode(API.Similar.self, similar)
            #expect(found.tags.map(\.tag) == ["car", "person"])
            #expect(found.items.map(\.id) == [building, street])
            #expect(try await Self.ids(cluster, "/v1/images", token: token).count == 3)

            // Recognition: detections with boxes, nothing stored.
            let recognized = try cluster.decode(
                API.Recognition.self, try await cluster.upload("/v1/recognize", file: TestImages.building, token: token)
            )
            #expect(recognized.detections.map(\.label) == ["car", "person"])
            #expect((recognized.detections.first?.box.width ?? 0) > 10)
            #expect(recognized.width == 868 && recognized.model == "yolov3-tiny")
            #expect(try await Self.ids(cluster, "/v1/images", token: token).count == 3)

            // A person's tags replace what is shown and survive; bulk edits add and remove on many at once.
            let put = try await cluster.json(
                .put, "/v1/images/\(street)/tags", ["tags": [["tag": "person", "count": 3], ["tag": "bicycle"]]],
                token: token)
            #expect(put.status == .ok)
            let manual = try cluster.decode(API.Image.self, put)
            #expect(manual.tagCounts == ["bicycle×1", "person×3"] && manual.tags.first?.source == "manual")
            let bulk = try await cluster.json(
                .post, "/v1/tags/bulk",
                ["imageIds": [street, building], "add": [["tag": "holiday", "count": 1]], "remove": ["car"]],
                token: token)
            #expect(bulk.status == .ok)
            let edited = try cluster.decode(API.Page<API.Image>.self, bulk).items
            #expect(edited.map(\.tagCounts) == [["bicycle×1", "holiday×1", "person×3"], ["holiday×1", "person×1"]])
            #expect(try await Self.ids(cluster, "/v1/images?tags=car", token: token).isEmpty)
            #expect(try await Self.ids(cluster, "/v1/images?tags=holiday", token: token) == [building, street])
            let removed = try await cluster.json(
                .post, "/v1/tags/bulk", ["imageIds": [building], "remove": ["holiday"]], token: token)
            #expect(try cluster.decode(API.Page<API.Image>.self, removed).items.map(\.tagCounts) == [["person×1"]])

            // The image behind a thumbnail URL comes with its tags.
            let byThumbnail = try cluster.decode(
                API.Image.self,
                try await cluster.request(
                    .get, "/v1/images/by-thumbnail?url=http://x.test/v1/images/\(fruits)/thumbnail", token: token))
            #expect(byThumbnail.tagCounts == ["donut×1", "orange×1"])
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func tagsStayWithTheirOwnerAndBadInputsAreRefused(_ backend: StoreBackend) async throws {
        try await ClusterHarness.run(backend, tagging: true) { cluster in
            let (owner, stranger) = (try await cluster.user("olga"), try await cluster.user("sam"))
            let id = try cluster.decode(
                API.Image.self, try await cluster.upload("/v1/images", file: TestImages.street, token: owner)
            ).id
            _ = try await Self.tagged(cluster, id, token: owner)

            #expect(try await Self.ids(cluster, "/v1/images?tags=car", token: stranger).isEmpty)
            let counts = try cluster.decode(
                API.Page<API.TagCount>.self, try await cluster.request(.get, "/v1/tags", token: stranger))
            #expect(counts.items.isEmpty)
            let theirs = try await cluster.json(
                .put, "/v1/images/\(id)/tags", ["tags": [["tag": "x"]]], token: stranger)
            #expect(theirs.status == .notFound)
            let bulk = try await cluster.json(
                .post, "/v1/tags/bulk", ["imageIds": [id], "add": [["tag": "x"]]], token: stranger)
            #expect(bulk.status == .notFound)
            let similar = try await cluster.request(
                .post, "/v1/search/similar", token: stranger, headers: [.contentType: "image/jpeg"],
                body: TestImages.street)
            #expect(try cluster.decode(API.Similar.self, similar).items.isEmpty)

            func status(_ response: TestResponse) -> (Int, String?) {
                (Int(response.status.code), cluster.errorCode(response))
            }
            for query in ["tags=car:x", "tags=", "tags=a,b,c,d,e,f,g,h,i,j,k", "tags=car:0", "tags=car&cursor=zz"] {
                #expect(
                    status(try await cluster.request(.get, "/v1/images?\(query)", token: owner)) == (
                        400, "InvalidParameter"
                    ),
                    "\(query)")
            }
            #expect(
                status(
                    try await cluster.json(
                        .put, "/v1/images/\(id)/tags", ["tags": [["tag": "x", "count": 0]]], token: owner)) == (
                        400, "InvalidParameter"
                    ))
            #expect(
                status(try await cluster.json(.put, "/v1/images/\(id)/tags", ["tags": "car"], token: owner)).0 == 400)
            #expect(
                status(try await cluster.json(.post, "/v1/tags/bulk", ["imageIds": [id]], token: owner)) == (
                    400, "InvalidParameter"
                ))
            #expect(
                status(
                    try await cluster.request(
                        .post, "/v1/recognize", token: owner, headers: [.contentType: "text/plain"],
                        body: Array("hi".utf8))) == (415, "UnsupportedMediaType"))
            #expect(
                status(
                    try await cluster.request(
                        .post, "/v1/recognize", token: owner, headers: [.contentType: "image/jpeg"],
                        body: Array(TestImages.street.prefix(3000)))) == (422, "InvalidImage"))
            #expect(
                status(
                    try await cluster.request(
                        .post, "/v1/recognize", token: nil, headers: [.contentType: "image/jpeg"],
                        body: TestImages.street)
                ).0 == 401)
            // Similar search takes its image the same way, and refuses it the same way.
            for (type, body, expected) in [
                ("text/plain", Array("hi".utf8), (415, "UnsupportedMediaType")),
                ("image/jpeg", Array(TestImages.street.prefix(3000)), (422, "InvalidImage")),
                ("image/png", [UInt8](), (400, "InvalidParameter")),
            ] {
                let response = try await cluster.request(
                    .post, "/v1/search/similar", token: owner, headers: [.contentType: type], body: body)
                #expect(status(response) == expected, "\(type)")
            }
            let badLimit = try await cluster.request(
                .post, "/v1/search/similar?limit=0", token: owner, headers: [.contentType: "image/jpeg"],
                body: TestImages.street)
            #expect(status(badLimit) == (400, "InvalidParameter"))
            #expect(
                status(
                    try await cluster.json(
                        .post, "/v1/subscriptions", ["tags": ["car"], "channel": "pigeon"], token: owner)) == (
                        400, "InvalidParameter"
                    ))
            #expect(
                status(
                    try await cluster.json(
                        .post, "/v1/subscriptions",
                        ["tags": ["car"], "channel": "webhook", "target": "http://127.0.0.1:9/"], token: owner)) == (
                        422, "WebhookNotConfirmed"
                    ))
            #expect(
                status(try await cluster.request(.get, "/v1/subscriptions/confirm?token=nope", token: nil)) == (
                    400, "InvalidParameter"
                ))
            #expect(
                status(try await cluster.json(.post, "/v1/subscriptions/confirm", ["token": "abc123"])) == (
                    404, "NotFound"
                ))
            #expect(
                status(try await cluster.json(.post, "/v1/subscriptions/confirm", ["token": "<script>"])) == (
                    400, "InvalidParameter"
                ))
        }
    }

    /// Subscribe by webhook and by email, get notified of a new image, unsubscribe; deleting the account
    /// takes the tags and subscriptions with it.
    @Test(arguments: StoreBackend.allCases)
    func subscriptionsNotifyAndGo(_ backend: StoreBackend) async throws {
        try await ClusterHarness.run(backend, tagging: true) { cluster in
            let token = try await cluster.user("una")
            let receiver = WebhookReceiver(failures: 1)
            try await receiver.run { url in
                let created = try await cluster.json(
                    .post, "/v1/subscriptions", ["tags": ["person"], "channel": "webhook", "target": url + "/hook"],
                    token: token)
                #expect(created.status == .created)
                let subscription = try cluster.decode(API.Subscription.self, created)
                let id = subscription.id
                let secret = try #require(subscription.secret)
                #expect(subscription.channel == "webhook" && subscription.tags == ["person"])
                // Email to the account's verified address: active at once.
                let mail = try await cluster.json(.post, "/v1/subscriptions", ["tags": ["car"]], token: token)
                let byMail = try cluster.decode(API.Subscription.self, mail)
                #expect(byMail.status == "active" && byMail.target == "una@example.com" && byMail.channel == "email")
                // Email to another address waits for the link mailed there, which needs no sign-in.
                let friend = try await cluster.json(
                    .post, "/v1/subscriptions", ["tags": ["car"], "target": "friend@example.org"], token: token)
                let friendId = try cluster.decode(API.Subscription.self, friend).id
                #expect(try cluster.decode(API.Subscription.self, friend).status == "pending")
                let letter = try #require(
                    try cluster.outbox.messages().last { $0.text.contains("To: friend@example.org") }?.text)
                let link = String(
                    try #require(letter.firstMatch(of: /\/v1\/subscriptions\/confirm\?token=[0-9a-f]+/)).0)
                // Opening the link (as a mail scanner would) changes nothing; it shows a form (L5).
                let page = try await cluster.request(.get, link, token: nil)
                let html = String(buffer: page.body)
                #expect(page.status == .ok && page.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(html.contains(#"<form method="post" action="/v1/subscriptions/confirm">"#))
                #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                let stillPending = try cluster.decode(
                    API.Subscription.self,
                    try await cluster.request(.get, "/v1/subscriptions/\(friendId)", token: token))
                #expect(stillPending.status == "pending")
                // The form's POST confirms and answers with a page.
                let token48 = String(link.split(separator: "=").last ?? "")
                let confirmed = try await cluster.request(
                    .post, "/v1/subscriptions/confirm", token: nil,
                    headers: [.contentType: "application/x-www-form-urlencoded"], body: Array("token=\(token48)".utf8))
                #expect(confirmed.status == .ok)
                #expect(String(buffer: confirmed.body).contains("Subscription confirmed"))
                let active = try cluster.decode(
                    API.Subscription.self,
                    try await cluster.request(.get, "/v1/subscriptions/\(friendId)", token: token))
                #expect(active.status == "active")

                let list = try cluster.decode(
                    API.Page<API.Subscription>.self, try await cluster.request(.get, "/v1/subscriptions", token: token))
                #expect(list.items.count == 3 && list.items.allSatisfy { $0.secret == nil })

                let upload = try await cluster.upload("/v1/images", file: TestImages.street, token: token)
                let image = try cluster.decode(API.Image.self, upload).id
                let delivered = try await eventually { receiver.delivered.count == 1 }
                #expect(delivered)
                let hook = try #require(receiver.delivered.first)
                let header = try #require(hook.headers["x-clearsky-signature"])
                let timestamp = try #require(header.firstMatch(of: /^t=(\d+),/)?.1)
                let signed = Array("\(timestamp).".utf8) + Array(hook.body.utf8)
                #expect(
                    header == "t=\(timestamp),sha256=" + Crypto.hex(Crypto.hmacSHA256(key: Array(secret.utf8), signed)))
                #expect(hook.body.contains(image))
                let mailed = try await eventually {
                    try cluster.outbox.messages().filter { $0.text.contains("Subject: New image tagged car") }.count
                        == 2
                }
                #expect(mailed)
                let recorded = try await eventually {
                    let stats = try cluster.decode(
                        API.Subscription.self, try await cluster.request(.get, "/v1/subscriptions/\(id)", token: token))
                    return stats.deliveries.delivered == 1
                }
                #expect(recorded)

                let other = try await cluster.user("vic")
                #expect(try await cluster.request(.delete, "/v1/subscriptions/\(id)", token: other).status == .notFound)
                #expect(
                    try await cluster.request(.delete, "/v1/subscriptions/\(id)", token: token).status == .noContent)
                #expect(try await cluster.request(.get, "/v1/subscriptions/\(id)", token: token).status == .notFound)

                let sub = try cluster.decode(API.User.self, try await cluster.request(.get, "/v1/me", token: token)).sub
                #expect(
                    try await cluster.json(.delete, "/v1/me", ["password": "Corr3ct-horse"], token: token).status
                        == .noContent)
                let left = try await cluster.tags.subscriptions(owner: sub)
                #expect(left.items.isEmpty)
                let tags = try await cluster.tags.listTags(owner: sub)
                #expect(tags.items.isEmpty)
            }
        }
    }
}
