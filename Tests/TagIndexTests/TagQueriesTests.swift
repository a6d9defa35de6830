import Contracts
import TagIndex
import Testing
import Wire

/// Tag names and query terms as TagSvc stores and searches them, and the tag query's cursor.
@Suite struct TagQueriesTests {
    @Test func namesAreFoldedAndCheckedBeforeTheyAreStored() throws {
        #expect(try TagName.normalized("  Traffic\tLight ") == "traffic light")
        #expect(try TagName.normalized("dog_2.jpg-ok") == "dog_2.jpg-ok")
        #expect(try TagName.normalized("Ölbaum") == "ölbaum")
        #expect(try TagName.normalized(String(repeating: "a", count: 64)).count == 64)
        for bad in ["", "   ", String(repeating: "a", count: 65), "a/b", "<b>", "tag;drop", "emoji 🐶", "new\u{0}line"] {
            #expect(throws: WireError.self, "\(bad)") { try TagName.normalized(bad) }
        }
    }

    @Test func queryTermsAreOneToTenDistinctTagsWithCountsUpToAThousand() throws {
        let terms = try TagName.terms([TagTerm(tag: "Person", count: 2), TagTerm(tag: "dog")])
        #expect(terms == [TagTerm(tag: "person", count: 2), TagTerm(tag: "dog", count: 1)])
        #expect(throws: WireError.self) { try TagName.terms([]) }
        #expect(throws: WireError.self) { try TagName.terms((0..<11).map { TagTerm(tag: "t\($0)") }) }
        #expect(try TagName.terms((0..<11).map { TagTerm(tag: "t\($0)") }, editing: true).count == 11)
        #expect(throws: WireError.self) { try TagName.terms((0..<101).map { TagTerm(tag: "t\($0)") }, editing: true) }
        for count in [0, -1, 1001, Int.max, Int.min] {
            #expect(throws: WireError.self, "\(count)") { try TagName.terms([TagTerm(tag: "dog", count: count)]) }
        }
        // The same tag twice, even spelled differently, is a mistake rather than a stronger query.
        #expect(throws: WireError.self) { try TagName.terms([TagTerm(tag: "Dog"), TagTerm(tag: " dog ")]) }
    }

    @Test func cursorsRoundTripAndAnythingElseIsRefused() throws {
        let cursor = QueryCursor(createdAt: 1_765_000_000_123, id: "img_ab.cd")
        #expect(try QueryCursor(cursor.text) == cursor)
        #expect(try QueryCursor(nil) == QueryCursor(createdAt: .max, id: ""))
        for bad in ["", ".", "12", "12.", ".img", "-5.img", "+5.img", "99999999999999999999.img", "1e3.img", " 5.img"] {
            #expect(throws: WireError.self, "\(bad)") { try QueryCursor(bad) }
        }
    }
}
