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

/// The growable byte buffer an encoding is written into. Its one owner appends through a pointer: none of
/// `Array`'s uniqueness and capacity bookkeeping per byte, which was a tenth of encoding a typical record.
struct ByteSink: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(16, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The bytes written so far, as an array.
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    subscript(index: Int) -> UInt8 {
        get { base[index] }
        set { base[index] = newValue }
    }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    @inline(__always)
    private mutating func reserve(_ more: Int) {
        guard count + more > capacity else { return }
        grow(to: count + more)
    }

    private mutating func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.update(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        UnsafeMutableRawPointer(base + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    /// Drops everything from `offset` on.
    mutating func truncate(to offset: Int) { count = offset }

    @inline(__always)
    mutating func appendVarint(_ value: UInt64) {
        reserve(10)
        var rest = value
        while rest >= 0x80 {
            base[count] = UInt8(truncatingIfNeeded: rest) | 0x80
            count += 1
            rest >>= 7
        }
        base[count] = UInt8(truncatingIfNeeded: rest)
        count += 1
    }

    @inline(__always)
    mutating func appendFixed32(_ value: UInt32) {
        reserve(4)
        UnsafeMutableRawPointer(base + count).storeBytes(of: value.littleEndian, as: UInt32.self)
        count += 4
    }

    @inline(__always)
    mutating func appendFixed64(_ value: UInt64) {
        reserve(8)
        UnsafeMutableRawPointer(base + count).storeBytes(of: value.littleEndian, as: UInt64.self)
        count += 8
    }

    /// Writes `value` into the one byte reserved at `offset`, widening the slot when needed.
    mutating func patchVarint(_ value: UInt64, reservedAt offset: Int) {
        if value < 0x80 {
            base[offset] = UInt8(truncatingIfNeeded: value)
            return
        }
        let size = varintSize(value)
        reserve(size - 1)
        (base + offset + size).update(from: base + offset + 1, count: count - offset - 1)
        count += size - 1
        var rest = value
        for index in offset..<(offset + size) {
            base[index] = UInt8(truncatingIfNeeded: rest) | (index == offset + size - 1 ? 0 : 0x80)
            rest >>= 7
        }
    }
}
