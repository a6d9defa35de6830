import ArgumentParser
import Foundation

/// What commands print: aligned tables and short lines for people, the API's JSON for scripts.
enum Output {
    static func line(_ text: String) {
        print(text)
    }

    /// JSON as the API sent it, or any JSON value re-encoded (sorted keys, pretty when on a terminal).
    static func json(_ value: Any) {
        let options: JSONSerialization.WritingOptions =
            isatty(STDOUT_FILENO) == 1
            ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        if let data = try? JSONSerialization.data(withJSONObject: value, options: options) {
            print(String(decoding: data, as: UTF8.self))
        }
    }

    static func json(_ response: APIResponse) {
        json((try? JSONSerialization.jsonObject(with: Data(response.body))) ?? [String: Any]())
    }

    /// Columns padded to their widest cell; the last column is not padded.
    static func table(_ headers: [String], _ rows: [[String]]) {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func format(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        print(format(headers))
        for row in rows { print(format(row.map(clean))) }
    }

    /// A cell on one line: control characters (a hostile file name's newline or escape) as `?`.
    static func clean(_ text: String) -> String {
        String(
            String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : $0 }))
    }

    static func bytes(_ count: Int) -> String {
        if count < 1024 { return "\(count) B" }
        if count < 1 << 20 { return String(format: "%.1f KiB", Double(count) / 1024) }
        if count < 1 << 30 { return String(format: "%.1f MiB", Double(count) / 1_048_576) }
        return String(format: "%.2f GiB", Double(count) / 1_073_741_824)
    }

    /// `person ×2, dog` from an Image's tags.
    static func tags(_ image: [String: Any]) -> String {
        ((image["tags"] as? [[String: Any]]) ?? []).map { tag in
            let name = tag["tag"] as? String ?? "?"
            let count = tag["count"] as? Int ?? 1
            return count > 1 ? "\(name) ×\(count)" : name
        }.joined(separator: ", ")
    }

    static func images(_ items: [[String: Any]]) {
        table(
            ["ID", "KEY", "SIZE", "DIMENSIONS", "CREATED", "TAGS"],
            items.map { image in
                [
                    image["id"] as? String ?? "", image["key"] as? String ?? "",
                    bytes(image["size"] as? Int ?? 0), "\(image["width"] as? Int ?? 0)×\(image["height"] as? Int ?? 0)",
                    image["createdAt"] as? String ?? "",
                    (image["tagging"] as? String) == "pending" ? "(tagging…)" : tags(image),
                ]
            })
    }
}
