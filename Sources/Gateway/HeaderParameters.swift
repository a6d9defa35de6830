import Foundation

/// The parameters of a header such as Content-Disposition or Content-Type (RFC 9110 §5.6.6, RFC 6266):
/// `; name=token` or `; name="quoted \"string\""`, split only on semicolons outside quotes, and
/// `name*=UTF-8''percent%20encoded` (RFC 8187), which wins over the plain form of the same name (L9).
/// Total on every input: malformed parameters are skipped, never trapped on.
struct HeaderParameters: Sendable, Equatable {
    private(set) var values: [String: String] = [:]

    /// Parameter names and values longer than this are ignored (a header is at most a few KiB anyway).
    static let maxLength = 4096

    init(_ header: String) {
        var extended: [String: String] = [:]
        let scalars = Array(header.unicodeScalars)
        var index = 0
        // Skip the leading value (`form-data`, `multipart/form-data`).
        index = Self.skip(scalars, from: index, until: ";")
        while index < scalars.count {
            index += 1  // the ';'
            let nameStart = index
            while index < scalars.count, scalars[index] != "=", scalars[index] != ";" { index += 1 }
            let name = String(String.UnicodeScalarView(scalars[nameStart..<index]))
                .trimmingCharacters(in: .whitespaces).lowercased()
            guard index < scalars.count, scalars[index] == "=" else { continue }
            index += 1
            while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 }
            var value = ""
            if index < scalars.count, scalars[index] == "\"" {
                index += 1
                var closed = false
                while index < scalars.count {
                    let scalar = scalars[index]
                    if scalar == "\\", index + 1 < scalars.count {
                        value.unicodeScalars.append(scalars[index + 1])
                        index += 2
                        continue
                    }
                    index += 1
                    if scalar == "\"" {
                        closed = true
                        break
                    }
                    value.unicodeScalars.append(scalar)
                }
                index = Self.skip(scalars, from: index, until: ";")
                guard closed else { continue }
            } else {
                let start = index
                index = Self.skip(scalars, from: index, until: ";")
                value = String(String.UnicodeScalarView(scalars[start..<index])).trimmingCharacters(in: .whitespaces)
            }
            guard !name.isEmpty, name.utf8.count <= Self.maxLength, value.utf8.count <= Self.maxLength else { continue }
            if name.hasSuffix("*") {
                if let decoded = Self.extendedValue(value) { extended[String(name.dropLast())] = decoded }
            } else if values[name] == nil {
                values[name] = value
            }
        }
        values.merge(extended) { _, new in new }
    }

    subscript(name: String) -> String? { values[name.lowercased()] }

    /// `charset'language'percent-encoded`, UTF-8 (or ISO-8859-1, as RFC 8187 also allows) only.
    static func extendedValue(_ text: String) -> String? {
        let parts = text.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        let charset = parts[0].lowercased()
        var bytes: [UInt8] = []
        var utf8 = parts[2].utf8[...]
        while let byte = utf8.first {
            utf8 = utf8.dropFirst()
            if byte == UInt8(ascii: "%") {
                guard utf8.count >= 2,
                    let high = Character(Unicode.Scalar(utf8[utf8.startIndex])).hexDigitValue,
                    let low = Character(Unicode.Scalar(utf8[utf8.index(after: utf8.startIndex)])).hexDigitValue
                else { return nil }
                bytes.append(UInt8(high * 16 + low))
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        switch charset {
        case "utf-8": return String(validating: bytes, as: UTF8.self)
        case "iso-8859-1": return String(bytes.map { Character(Unicode.Scalar($0)) })
        default: return nil
        }
    }

    /// The index of the next `stop` outside quotes, or the end.
    private static func skip(_ scalars: [Unicode.Scalar], from start: Int, until stop: Unicode.Scalar) -> Int {
        var index = start
        var quoted = false
        while index < scalars.count {
            let scalar = scalars[index]
            if quoted, scalar == "\\" {
                index += 2
                continue
            }
            if scalar == "\"" { quoted.toggle() }
            if !quoted, scalar == stop { return index }
            index += 1
        }
        return min(index, scalars.count)
    }
}
