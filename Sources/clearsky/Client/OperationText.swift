import Foundation
import ImageOperations

/// `--op 'resize width=800 fit=cover'` as the API's operation JSON, checked by the same decoder the
/// server uses, so a mistake is named (operation and parameter) before anything is sent.
enum OperationText {
    static func parse(_ texts: [String]) throws -> [[String: any Sendable]] {
        let operations = try texts.map(parseOne)
        let data = try JSONSerialization.data(withJSONObject: operations)
        do {
            _ = try ImageOperation.parseList(Array(data))
        } catch {
            var reason = error.description
            if reason.hasPrefix("ops: ") { reason.removeFirst(5) }
            throw CLIError.usage("--op: \(reason)")
        }
        return operations
    }

    private static func parseOne(_ text: String) throws -> [String: any Sendable] {
        let words = text.split(whereSeparator: \.isWhitespace)
        guard let name = words.first else {
            throw CLIError.usage("--op '': name an operation, e.g. 'resize width=800'")
        }
        var operation: [String: any Sendable] = ["op": String(name)]
        for word in words.dropFirst() {
            guard let equals = word.firstIndex(of: "="), equals != word.startIndex else {
                throw CLIError.usage("--op '\(text)': \(name)'s parameter '\(word)' needs a value, as name=value")
            }
            let key = String(word[..<equals])
            let raw = String(word[word.index(after: equals)...])
            guard operation[key] == nil else { throw CLIError.usage("--op '\(text)': '\(key)' is given twice") }
            operation[key] = value(raw)
        }
        return operation
    }

    /// Whole numbers, decimals and booleans as such; anything else as text (`fit=cover`, `background=#fff`).
    private static func value(_ raw: String) -> any Sendable {
        if raw == "true" { return true }
        if raw == "false" { return false }
        if raw.count <= 18, let whole = Int(raw) { return whole }
        if raw.count <= 32, let number = Double(raw), number.isFinite,
            raw.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" || $0 == "e" || $0 == "E" || $0 == "+" })
        {
            return number
        }
        return raw
    }
}
