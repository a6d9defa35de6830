/// Extreme and malformed values for property tests of the parsers that take client input: the edges of
/// every integer width, NaN-like and huge floats, and strings that parsers are known to trip over.
public enum HostileValues {
    /// Integers at and around every boundary a parser meets.
    public static let integers: [Int] = [
        0, 1, -1, 2, -2, 7, 8, 255, 256, 65_535, 65_536, 32_767, 32_768, -32_768,
        Int(Int32.max), Int(Int32.max) + 1, Int(Int32.min), Int(Int32.min) - 1, Int(UInt32.max), Int(UInt32.max) + 1,
        1 << 40, 1 << 53, (1 << 53) + 1, Int.max, Int.max - 1, Int.min, Int.min + 1, Int.max / 2, Int.min / 2,
    ]

    /// Doubles that are not ordinary numbers, or are too large for any integer.
    public static let doubles: [Double] = [
        0, -0.0, 1, -1, 0.5, -0.5, 1e-300, -1e-300, 1e300, -1e300, .greatestFiniteMagnitude,
        -.greatestFiniteMagnitude, .leastNonzeroMagnitude, 9.223372036854775807e18, -9.223372036854775808e18,
        1.8446744073709552e19, .infinity, -.infinity, .nan,
    ]

    /// Texts a number or token parser must refuse or bound, as a client could send them.
    public static let numberTexts: [String] = [
        "", " ", "-", "+", "+1", "-0", "00", "0x10", "1e3", "1.5", "NaN", "Infinity", "-Infinity", "١٢٣",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "18446744073709551616", String(repeating: "9", count: 400), "1 2", "1\u{0}", "\u{FEFF}1",
    ]

    /// Characters that header, query and token parsers treat specially, and some they should not.
    public static let punctuation: [Character] = [
        ";", "=", "\"", "\\", "'", "%", "*", ",", ":", "/", ".", " ", "\t", "\r", "\n", "\u{0}", "é", "😀", "\u{FEFF}",
        "\u{202E}", "a", "Z", "0", "9", "-", "_", "+", "&", "<", ">", "{", "}", "[", "]",
    ]

    /// A random string of up to `maxLength` characters from `alphabet` (default `punctuation`).
    public static func text(
        _ generator: inout some RandomNumberGenerator, alphabet: [Character] = punctuation, maxLength: Int = 40
    ) -> String {
        let count = Int.random(in: 0...maxLength, using: &generator)
        return String((0..<count).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// `base` with up to three random edits: a character inserted, removed or replaced from `punctuation`.
    public static func mutated(_ base: String, _ generator: inout some RandomNumberGenerator) -> String {
        var characters = Array(base)
        for _ in 0..<Int.random(in: 1...3, using: &generator) {
            let position = Int.random(in: 0...characters.count, using: &generator)
            let character = punctuation.randomElement(using: &generator)!
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: characters.insert(character, at: position)
            case 1 where position < characters.count: characters.remove(at: position)
            default: if position < characters.count { characters[position] = character }
            }
        }
        return String(characters)
    }

    /// A random pick of `integers` and arbitrary 64-bit values.
    public static func integer(_ generator: inout some RandomNumberGenerator) -> Int {
        Bool.random(using: &generator)
            ? integers.randomElement(using: &generator)! : Int.random(in: .min ... .max, using: &generator)
    }
}

/// A seeded generator (SplitMix64), so a failing property test names the seed that reproduces it.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
