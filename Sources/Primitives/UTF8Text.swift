extension String {
    /// The UTF-8 in `bytes` as a String; nil when it is not valid UTF-8. ASCII, the common case, takes the
    /// direct path: `String(validating:as:)` is generic over the encoding and looks up runtime metadata on
    /// every call, which was a visible share of decoding messages and verifying tokens.
    public init?(validatingUTF8Bytes bytes: UnsafeBufferPointer<UInt8>) {
        var high: UInt8 = 0
        for byte in bytes { high |= byte }
        if high < 0x80 {
            self.init(decoding: bytes, as: UTF8.self)
        } else {
            guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
            self = text
        }
    }
}
