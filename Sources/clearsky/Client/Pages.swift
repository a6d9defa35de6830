import Foundation

/// Reading lists: every page in turn, until the last or `limit` items.
enum Pages {
    static func collect(
        _ client: APIClient, _ path: String, query: [(String, String)] = [], limit: Int? = nil
    ) async throws -> [[String: Any]] {
        var items: [[String: Any]] = []
        var cursor: String?
        repeat {
            let want = min(200, limit.map { $0 - items.count } ?? 200)
            var parameters = query + [("limit", String(want))]
            if let cursor { parameters.append(("cursor", cursor)) }
            let page = try await client.send(.GET, path, query: parameters).object()
            items += (page["items"] as? [[String: Any]]) ?? []
            cursor = page["nextCursor"] as? String
        } while cursor != nil && items.count < (limit ?? Int.max)
        return items
    }
}

/// Path segments from the command line, percent-encoded so an ID cannot reach another route.
enum Paths {
    static func segment(_ text: String) throws -> String {
        guard !text.isEmpty, text != ".", text != ".." else { throw CLIError.usage("'\(text)' is not an ID") }
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#%")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// `90s`, `30m`, `12h`, `7d` or plain seconds, as seconds.
enum DurationText {
    static func seconds(_ text: String, option: String) throws -> Int {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        var digits = Substring(text.lowercased())
        var unit = 1
        if let last = digits.last, let scale = units[last] {
            unit = scale
            digits = digits.dropLast()
        }
        guard digits.count <= 9, let value = Int(digits), value > 0 else {
            throw CLIError.usage("\(option) \(text): give a duration like 90s, 30m, 12h or 7d")
        }
        return value * unit
    }
}
