/// AuthSvc's policy knobs, with Cognito-like defaults.
struct AuthSettings: Sendable {
    /// `iss` of every token. Default "clearsky".
    var issuer = "clearsky"
    /// `client_id` / `aud` of every token. Default "clearsky".
    var clientId = "clearsky"
    /// PBKDF2 iterations for new hashes; older hashes with fewer are rehashed at login. Default 600,000.
    var passwordIterations = 600_000
    var passwordPolicy = PasswordPolicy()
    /// Lifetime of id and access tokens, seconds. Default 3,600.
    var tokenLifetime = 3_600
    /// Lifetime of a sign-in's refresh tokens, seconds. Default 30 days.
    var refreshLifetime = 30 * 86_400
    /// Seconds a used-up refresh token is kept to recognise a copy presented again. Default 7 days.
    var usedTokenRetention = 7 * 86_400
    /// Lifetime of confirmation and reset codes, seconds. Default 24 h.
    var codeLifetime = 86_400
    /// Wrong codes accepted before a new one must be requested. Default 5.
    var codeAttempts = 5
    /// Attempts of one flow (password, code, mail) at one username from one client address within
    /// `throttleWindow`. Default 10.
    var attemptsPerUsername = 10
    /// Attempts of one flow at one username from all addresses together within `throttleWindow`.
    /// Default 100.
    var attemptsPerUsernameTotal = 100
    /// Codes of one purpose mailed to one user within a day. Default 10.
    var codesPerDay = 10
    /// Login, code and mail attempts per client address within `throttleWindow`. Default 50.
    var attemptsPerAddress = 50
    /// Sliding window of the throttles, seconds. Default 900 (15 min).
    var throttleWindow = 900
    /// Sender of codes. Default "Clearsky <no-reply@clearsky.local>".
    var mailFrom = "Clearsky <no-reply@clearsky.local>"
}

/// What a password must contain. Default: 8+ characters with an upper-case letter, a lower-case letter,
/// a digit and a symbol; at most 256 characters.
struct PasswordPolicy: Sendable {
    var minimumLength = 8
    var maximumLength = 256
    var requireUppercase = true
    var requireLowercase = true
    var requireDigit = true
    var requireSymbol = true

    /// Nil when the password passes, else what it lacks.
    func problem(with password: String) -> String? {
        let count = password.count
        if count < minimumLength { return "the password must have at least \(minimumLength) characters" }
        if count > maximumLength { return "the password must have at most \(maximumLength) characters" }
        let scalars = password.unicodeScalars
        if requireUppercase && !scalars.contains(where: { $0.properties.isUppercase }) {
            return "the password needs an upper-case letter"
        }
        if requireLowercase && !scalars.contains(where: { $0.properties.isLowercase }) {
            return "the password needs a lower-case letter"
        }
        if requireDigit && !scalars.contains(where: { ("0"..."9").contains($0) }) {
            return "the password needs a digit"
        }
        if requireSymbol
            && !scalars.contains(where: { !$0.properties.isAlphabetic && !("0"..."9").contains($0) && $0 != " " })
        {
            return "the password needs a symbol"
        }
        return nil
    }
}
