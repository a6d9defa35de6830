/// How a value's bytes are laid out; carried in the low three bits of a field tag.
public enum WireType: UInt8, Sendable {
    /// Base-128 varint: unsigned integers, zigzag signed integers, booleans.
    case varint = 0
    /// Eight bytes, little-endian: `Double`.
    case fixed64 = 1
    /// A varint byte count, then that many bytes: strings, bytes, messages, arrays, maps.
    case length = 2
    /// Four bytes, little-endian: `Float`.
    case fixed32 = 5
}

/// Limits a decoder enforces before it allocates anything for untrusted input.
public struct WireLimits: Sendable, Hashable {
    /// The deepest nesting of messages, arrays and maps accepted (default 64).
    public var maxDepth: Int
    /// The most elements one array or map may declare (default 16 Mi); also bounded by the bytes left.
    public var maxCount: Int

    public init(maxDepth: Int = 64, maxCount: Int = 1 << 24) {
        self.maxDepth = maxDepth
        self.maxCount = maxCount
    }
}

@inline(__always)
func zigzag(_ value: Int64) -> UInt64 {
    UInt64(bitPattern: (value << 1) ^ (value >> 63))
}

@inline(__always)
func unzigzag(_ value: UInt64) -> Int64 {
    Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
}

@inline(__always)
func varintSize(_ value: UInt64) -> Int {
    var size = 1
    var rest = value >> 7
    while rest != 0 {
        size += 1
        rest >>= 7
    }
    return size
}

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        append(UInt8(truncatingIfNeeded: rest))
    }
}
