import Contracts
import Wire

/// The rules for a user's image keys: what a key may hold, and the one made up when none is given.
enum ImageKey {
    /// Longest key, in UTF-8 bytes.
    static let maximumLength = 512

    /// Throws `invalidArgument` naming the broken rule.
    static func validate(_ key: String) throws(WireError) {
        func reject(_ why: String) -> WireError { WireError(.invalidArgument, "Invalid key: \(why)") }
        guard !key.isEmpty else { throw reject("it is empty") }
        guard key.utf8.count <= maximumLength else { throw reject("longer than \(maximumLength) bytes") }
        guard !key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw reject("it contains a control character")
        }
        guard !key.contains("\\") else { throw reject("it contains a backslash") }
        guard !key.hasPrefix("/"), !key.hasSuffix("/") else { throw reject("it starts or ends with a slash") }
        guard !key.contains("//") else { throw reject("it has an empty path segment") }
        guard !key.contains("..") else { throw reject("it contains '..'") }
        guard key.trimmingPrefix(while: \.isWhitespace) == key[...], key.last?.isWhitespace != true else {
            throw reject("it starts or ends with whitespace")
        }
    }

    /// A fresh key for an image without one: its id and the format's file extension.
    static func generated(id: String, fileExtension: String) -> String { "\(id).\(fileExtension)" }
}
