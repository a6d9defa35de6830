import CFuzzer
import Foundation
import NIOCore
import Wire

/// A message touching every kind of value the codec handles.
struct FuzzMessage: Codable, Equatable {
    var flag: Bool?
    var number: Int?
    var unsigned: UInt32?
    var ratio: Double?
    var name: String?
    var bytes: [UInt8]?
    var data: Data?
    var list: [Int64]?
    var holes: [String?]?
    var table: [String: Int]?
    var child: [FuzzMessage]?

    enum CodingKeys: Int, CodingKey {
        case flag = 1, number, unsigned, ratio, name, bytes, data, list, holes, table, child
    }

    /// `==` with NaN ratios counted as equal at every level (a child's NaN made `==` fail a faithful round
    /// trip; the fuzzer found such a message).
    func matches(_ other: FuzzMessage) -> Bool {
        var (mine, theirs) = (self, other)
        if mine.ratio?.isNaN == true && theirs.ratio?.isNaN == true { (mine.ratio, theirs.ratio) = (nil, nil) }
        let (myChildren, theirChildren) = (mine.child, theirs.child)
        (mine.child, theirs.child) = (nil, nil)
        guard mine == theirs, myChildren?.count == theirChildren?.count else { return false }
        return zip(myChildren ?? [], theirChildren ?? []).allSatisfy { $0.matches($1) }
    }
}

/// First byte even: feed the rest to the frame reader. Odd: decode it as a message, and check
/// that whatever decodes also re-encodes and decodes to the same value.
@main
enum WireFuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
    }
}

func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let input = UnsafeRawBufferPointer(start: start, count: count)
    let rest = UnsafeRawBufferPointer(rebasing: input.dropFirst())
    if input[0] & 1 == 0 {
        var decoder = FrameDecoder(maxFrameSize: 1 << 16)
        var buffer = ByteBuffer(bytes: rest)
        while let frame = try? decoder.decode(buffer: &buffer) {
            if frame.type == .error { _ = frame.wireError() }
        }
    } else if let message = try? WireDecoder().decode(FuzzMessage.self, from: rest) {
        let again = try! WireEncoder().encode(message)
        let back = try! WireDecoder().decode(FuzzMessage.self, from: again)
        precondition(back.matches(message), "round trip changed the message")
    }
    return 0
}
