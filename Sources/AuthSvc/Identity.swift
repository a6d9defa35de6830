import Contracts
import Wire

/// Usernames and email addresses: what is accepted and the key uniqueness is checked on.
enum Identity {
    /// 3–64 characters of ASCII letters, digits, `.`, `_` and `-`, starting with a letter or digit.
    /// ASCII only, so that look-alike letters from other scripts cannot imitate another user's name.
    static func usernameKey(_ username: String) throws(WireError) -> String {
        let scalars = username.unicodeScalars
        guard (3...64).contains(scalars.count),
            scalars.allSatisfy({
                $0.isASCII
                    && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0))
            }),
            let first = scalars.first, first.properties.isAlphabetic || ("0"..."9").contains(first)
        else {
            throw WireError(
                .invalidParameter,
                "a username has 3 to 64 characters: ASCII letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        }
        return username.lowercased()
    }

    /// A plausible address of at most 254 characters; the key is the whole address lower-cased.
    static func emailKey(_ email: String) throws(WireError) -> String {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            email.unicodeScalars.allSatisfy({
                $0.value > 0x20 && $0.value != 0x7F && !"<>()[],;:\\\"".unicodeScalars.contains($0)
            })
        else {
            throw WireError(.invalidParameter, "not a valid email address")
        }
        return email.lowercased()
    }

    /// `j***@example.com`: enough to recognise, not enough to harvest.
    static func masked(_ email: String) -> String {
        guard let at = email.firstIndex(of: "@") else { return "***" }
        return String(email[..<at].prefix(1)) + "***" + String(email[at...])
    }
}
