import Contracts
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

/// What the Wire fuzzer checks on every input, and `make test` on its corpus. First byte even: the
/// rest goes to the frame reader. Odd: it is decoded as a message, and whatever decodes must re-encode
/// and decode to the same value.
enum WireFuzzing {
    static func check(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let rest = Array(bytes.dropFirst())
        if first & 1 == 0 {
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
    }
}
