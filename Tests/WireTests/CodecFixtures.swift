import Foundation

@testable import Wire

struct Point: Codable, Equatable {
    var x: Int
    var y: Int

    enum CodingKeys: Int, CodingKey {
        case x = 1
        case y = 2
    }
}

enum Shade: String, Codable { case light, dark }

struct Everything: Codable, Equatable {
    var flag: Bool
    var small: Int8
    var negative: Int
    var big: UInt64
    var ratio: Double
    var half: Float
    var name: String
    var bytes: [UInt8]
    var data: Data
    var point: Point
    var points: [Point]
    var numbers: [Int]
    var maybe: String?
    var nothing: String?
    var holes: [Int?]
    var table: [String: Int]
    var shade: Shade
    var nested: [[String]]

    enum CodingKeys: Int, CodingKey {
        case flag = 1, small, negative, big, ratio, half, name, bytes, data, point, points, numbers
        case maybe, nothing, holes, table, shade, nested
    }

    static let sample = Everything(
        flag: true, small: -5, negative: -300, big: .max, ratio: 3.25, half: -0.5, name: "héllo",
        bytes: [0, 1, 255], data: Data([9, 8]), point: Point(x: 1, y: -1),
        points: [Point(x: 2, y: 3), Point(x: 0, y: 0)],
        numbers: [1, -1, 1000], maybe: "yes", nothing: nil, holes: [1, nil, 3], table: ["a": 1],
        shade: .dark, nested: [["a"], [], ["b", "c"]])
}

/// Version 1 of a message: what an older peer knows.
struct ProfileV1: Codable, Equatable {
    var id: String
    var age: Int

    enum CodingKeys: Int, CodingKey {
        case id = 1
        case age = 2
    }
}

/// Version 2 adds an optional field and a nested message.
struct ProfileV2: Codable, Equatable {
    var id: String
    var age: Int
    var email: String?
    var home: Point?

    enum CodingKeys: Int, CodingKey {
        case id = 1
        case age = 2
        case email = 3
        case home = 4
    }
}

/// A recursive type for depth bombs.
final class Chain: Codable, Sendable {
    let next: Chain?

    init(next: Chain?) { self.next = next }

    enum CodingKeys: Int, CodingKey { case next = 1 }

    static func depth(_ levels: Int) -> Chain {
        var chain = Chain(next: nil)  // swift-format-ignore
        for _ in 0..<levels { chain = Chain(next: chain) }
        return chain
    }
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
}
