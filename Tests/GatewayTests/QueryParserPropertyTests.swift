import Contracts
import TagIndex
import Testing
import Wire
import WireTesting

@testable import Gateway

/// Property tests for the parsers of tag queries and cursors, over generated extreme and malformed text.
@Suite struct QueryParserPropertyTests {
    /// `tags=person:2,dog`: any text is refused with a clear error or gives 1…10 normalised tags with
    /// counts 1…1000; a list rendered from valid terms parses back to itself.
    @Test func tagQueries() throws {
        var generator = SeededGenerator(seed: 0x7A65)
        let alphabet = Array("ab Z9-_.:,") + HostileValues.punctuation
        for round in 0..<20_000 {
            let text =
                round % 3 == 0
                ? HostileValues.text(&generator, alphabet: alphabet, maxLength: 50)
                : "person:\(HostileValues.numberTexts.randomElement(using: &generator)!),dog"
            guard let parsed = try? TagTerm.parseList(text), let terms = try? TagName.terms(parsed) else { continue }
            #expect((1...10).contains(terms.count))
            for term in terms {
                #expect((1...1000).contains(term.count) && (1...64).contains(term.tag.count))
                #expect(try TagName.normalized(term.tag) == term.tag)
            }
        }
        for _ in 0..<2_000 {
            let terms = (0..<Int.random(in: 1...10, using: &generator)).map { index in
                TagTerm(tag: "tag\(index)", count: Int.random(in: 1...1000, using: &generator))
            }
            let text = terms.map { "\($0.tag):\($0.count)" }.joined(separator: ",")
            #expect(try TagName.terms(try TagTerm.parseList(text)) == terms)
        }
    }

    /// Tag-query cursors (`<createdAt>.<id>`) and list cursors (a position): refused, or read back as
    /// written; a limit outside 1…maximum is refused whatever the cursor.
    @Test func cursors() throws {
        var generator = SeededGenerator(seed: 0xC0_5E)
        for round in 0..<20_000 {
            let text: String =
                switch round % 3 {
                case 0: HostileValues.text(&generator, maxLength: 30)
                case 1: "\(HostileValues.numberTexts.randomElement(using: &generator)!).img_1"
                default: HostileValues.numberTexts.randomElement(using: &generator)!
                }
            if let cursor = try? QueryCursor(text) {
                #expect(cursor.createdAt >= 0 && !cursor.id.isEmpty)
                #expect(try QueryCursor(cursor.text) == cursor)
            }
            let limit = HostileValues.integer(&generator)
            let page = PageRequest(limit: limit, cursor: text)
            if let position = try? PageCursor.position(of: page, maximum: 200) {
                #expect((1...200).contains(limit) && position > 0 && String(position) == text)
            }
        }
        for _ in 0..<2_000 {
            let cursor = QueryCursor(createdAt: Int64.random(in: 0...Int64.max, using: &generator), id: "img_x.y")
            #expect(try QueryCursor(cursor.text) == cursor)
        }
    }
}
