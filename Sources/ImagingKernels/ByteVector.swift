/// Element-wise minimum and maximum: what a comparator network needs of the values it orders.
public protocol MedianLanes {
    static func minimum(_ a: Self, _ b: Self) -> Self
    static func maximum(_ a: Self, _ b: Self) -> Self
}

/// A vector of `count` bytes ordered lane by lane, loaded from and stored to memory: SSE2's 16 bytes in
/// `Imaging`, AVX2's 32 in `ImagingAVX2`. Each module has its own conforming type, so the generic kernels'
/// specialisations never coincide (two modules' copies of one specialisation are merged at link time).
public protocol ByteVector: MedianLanes {
    static var count: Int { get }
    init(loadingFrom pointer: UnsafeRawPointer)
    func store(to pointer: UnsafeMutableRawPointer)
}

extension ByteVector {
    /// Stores the first `count` lanes only (the end of a row).
    @inlinable
    public func store(to pointer: UnsafeMutableRawPointer, count: Int) {
        withUnsafeTemporaryAllocation(byteCount: Self.count, alignment: 1) { lanes in
            store(to: lanes.baseAddress!)
            pointer.copyMemory(from: lanes.baseAddress!, byteCount: count)
        }
    }
}
