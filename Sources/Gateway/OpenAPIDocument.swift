import Foundation
import Yams

/// The API's OpenAPI document (`web/openapi.yaml`), served as written at `/openapi.yaml` and as JSON at
/// `/openapi.json`. The JSON keeps the YAML's key order and its scalar types as YAML resolves them
/// (a quoted `"200"` stays a string, a plain `200` is a number).
enum OpenAPIDocument {
    /// The YAML as JSON text; throws when the YAML does not parse.
    static func json(fromYAML text: String) throws -> [UInt8] {
        guard let node = try Yams.compose(yaml: text) else {
            throw WebAssetsError(message: "openapi.yaml is empty")
        }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        try write(node, to: &out)
        return out
    }

    private static func write(_ node: Node, to out: inout [UInt8]) throws {
        switch node {
        case .mapping(let mapping):
            out.append(UInt8(ascii: "{"))
            for (index, pair) in mapping.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                guard let key = pair.key.string else {
                    throw WebAssetsError(message: "openapi.yaml has a key that is not a scalar")
                }
                string(key, to: &out)
                out.append(UInt8(ascii: ":"))
                try write(pair.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .sequence(let sequence):
            out.append(UInt8(ascii: "["))
            for (index, item) in sequence.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                try write(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: out += Array("null".utf8)
            case .bool: out += Array((node.bool == true ? "true" : "false").utf8)
            case .int:
                guard let value = node.int else { throw WebAssetsError(message: "bad integer \(scalar.string)") }
                out += Array(String(value).utf8)
            case .float:
                guard let value = node.float, value.isFinite else {
                    throw WebAssetsError(message: "bad number \(scalar.string)")
                }
                out += Array(String(value).utf8)
            default: string(scalar.string, to: &out)
            }
        case .alias:
            throw WebAssetsError(message: "openapi.yaml uses a YAML alias; write the value out")
        }
    }

    private static func string(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
