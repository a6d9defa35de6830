/// One `Range: bytes=…` request header, parsed without arithmetic that a client's numbers can overflow.
///
/// RFC 9110 §14.1.2: `first-last`, `first-` or `-suffix`, each a run of digits. A number too long for
/// `Int` saturates (a last position past the end is the end, a suffix longer than the content is all
/// of it, a first position past the end is unsatisfiable), so no value of the header can trap.
enum ByteRange: Equatable {
    /// No header, or one answered with the whole content (several ranges, another unit, bad syntax).
    case whole
    /// The bytes to send, within the content.
    case part(Range<Int>)
    /// Syntactically a single range, but none of it lies inside the content (416).
    case unsatisfiable

    static func parse(_ header: String?, size: Int) -> ByteRange {
        guard let header, size >= 0 else { return .whole }
        let trimmed = header.trimmingASCIISpaces()
        guard trimmed.utf8.starts(with: "bytes=".utf8) else { return .whole }
        let spec = trimmed.utf8.dropFirst("bytes=".utf8.count)
        guard !spec.contains(UInt8(ascii: ",")) else { return .whole }
        guard let dash = spec.firstIndex(of: UInt8(ascii: "-")) else { return .unsatisfiable }
        let first = Substring(spec[spec.startIndex..<dash]).trimmingASCIISpaces()
        let last = Substring(spec[spec.index(after: dash)...]).trimmingASCIISpaces()
        if first.isEmpty {
            guard let suffix = saturatingDigits(last), suffix > 0, size > 0 else { return .unsatisfiable }
            return .part((size - min(suffix, size))..<size)
        }
        guard let start = saturatingDigits(first) else { return .unsatisfiable }
        guard start < size else { return .unsatisfiable }
        if last.isEmpty { return .part(start..<size) }
        guard let end = saturatingDigits(last), end >= start else { return .unsatisfiable }
        // `end < size` before adding one: `end` may be Int.max.
        return .part(start..<(end < size ? end + 1 : size))
    }

    /// The value of a run of ASCII digits, `Int.max` when it is larger; nil for anything else
    /// (signs, spaces inside, other characters, nothing at all).
    static func saturatingDigits(_ text: some StringProtocol) -> Int? {
        guard !text.isEmpty else { return nil }
        var value = 0
        for byte in text.utf8 {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            value = overflowTimes || overflowSum ? Int.max : sum
        }
        return value
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's OWS).
    func trimmingASCIISpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let string = Substring(self)
        guard let start = string.firstIndex(where: { !isSpace($0) }) else { return string[string.endIndex...] }
        let end = string.lastIndex(where: { !isSpace($0) })!
        return string[start...end]
    }
}
