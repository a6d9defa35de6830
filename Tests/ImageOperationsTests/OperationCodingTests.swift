import Foundation
import ImageOperations
import Testing
import Wire

/// An operation's two forms: the REST API's JSON and Wire's binary, written by one Codable conformance.
@Suite struct OperationCodingTests {
    /// One of every operation, each parameter away from its default.
    static let everyKind: [ImageOperation] = [
        .autorotate,
        .resize(width: 800, height: nil, fit: .cover, filter: .lanczos3),
        .resize(width: 10, height: 20, fit: .fill, filter: .bicubic),
        .sharpen(sigma: 1.5, amount: 0.8, threshold: 3),
        .threshold(.otsu, mode: .binaryInverted),
        .threshold(.value(128), mode: .binary),
        .color(.sepia),
        .blur(sigma: 2, kind: .median),
        .rotate(degrees: 17, expand: false, background: Color(red: 255, green: 255, blue: 255, alpha: 128)),
        .rotate(degrees: -90, expand: true, background: nil),
        .flip(.vertical),
        .crop(x: 1, y: 2, width: 30, height: 40),
        .dehaze(DehazeParameters(patch: 7, omega: 0.9, t0: 0.2, radius: 30, eps: 0.001, subsampling: 2)),
    ]

    struct Carrier: Codable, Equatable {
        var operations: [ImageOperation]
        enum CodingKeys: Int, CodingKey { case operations = 1 }
    }

    @Test func everyOperationCrossesWireAsItWasSent() throws {
        let bytes = try WireEncoder().encode(Carrier(operations: Self.everyKind))
        #expect(try WireDecoder().decode(Carrier.self, from: bytes) == Carrier(operations: Self.everyKind))
    }

    /// The Wire form's field numbers are the contract: a renumbered parameter changes these bytes.
    @Test func theWireFormKeepsItsFieldNumbers() throws {
        let bytes = try WireEncoder().encode(
            Carrier(operations: [.resize(width: 5, height: nil, fit: .cover, filter: .area), .flip(.both)]))
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        #expect(hex == Self.goldenResizeAndFlip, "\(hex)")
    }

    static let goldenResizeAndFlip =
        "290a2702170a06726573697a65100a2205636f7665722a04617265610d0a04666c6970820104626f7468"

    /// A value a peer could send but the operation's ranges refuse does not decode, whatever the form.
    @Test func outOfRangeValuesDoNotDecodeFromWire() throws {
        for bad: ImageOperation in [
            .blur(sigma: -1, kind: .gaussian), .resize(width: 0, height: nil, fit: .contain, filter: .area),
            .crop(x: -1, y: 0, width: 1, height: 1), .rotate(degrees: .nan, expand: true, background: nil),
            .dehaze(DehazeParameters(patch: 2)), .threshold(.value(300), mode: .binary),
        ] {
            let bytes = try WireEncoder().encode(Carrier(operations: [bad]))
            #expect(throws: (any Error).self, "\(bad)") { try WireDecoder().decode(Carrier.self, from: bytes) }
        }
    }

    /// The gateway decodes `ops` as one field of a body: the messages count from the list, not the body.
    @Test func aListInsideABodyNamesTheOperationAndParameter() throws {
        struct Body: Decodable {
            var operations: [ImageOperation]
            enum CodingKeys: String, CodingKey { case ops }
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                operations = try ImageOperation.decodeList(from: try container.superDecoder(forKey: .ops))
            }
        }
        func message(_ json: String) -> String? {
            do {
                _ = try JSONDecoder().decode(Body.self, from: Data(json.utf8))
                return nil
            } catch {
                return (error as? InvalidOperation)?.description ?? "\(error)"
            }
        }
        #expect(
            message(#"{"ops":[{"op":"flip"},{"op":"resize","width":"ten"}]}"#)
                == "ops: operation 2 'width': expected an integer")
        #expect(message(#"{"ops":[{"op":"blur","sigma":-2}]}"#)?.contains("sigma must be in (0, 200]") == true)
        #expect(message(#"{"ops":{"op":"flip"}}"#) == "ops: not a JSON array of operations")
        #expect(
            message(#"{"ops":[{"op":"flip","axis":"sideways"}]}"#)
                == "ops: operation 1 'axis': 'axis' has an unknown value")
        let decoded = try JSONDecoder().decode(Body.self, from: Data(#"{"ops":[{"op":"dehaze"}]}"#.utf8))
        #expect(decoded.operations == [.dehaze(DehazeParameters())])
    }

    @Test func parsesTheJSONFormOfEveryOperation() throws {
        let json = """
            [{"op":"autorotate"},
             {"op":"resize","width":800,"fit":"cover","filter":"lanczos3"},
             {"op":"resize","width":10,"height":20,"fit":"fill","filter":"bicubic"},
             {"op":"sharpen","sigma":1.5,"amount":0.8,"threshold":3},
             {"op":"threshold","method":"otsu","mode":"binary_inv"},
             {"op":"threshold","value":128},
             {"op":"color","mode":"sepia"},
             {"op":"blur","sigma":2,"kind":"median"},
             {"op":"rotate","degrees":17,"expand":false,"background":"#ffffff80"},
             {"op":"rotate","degrees":-90},
             {"op":"flip","axis":"vertical"},
             {"op":"crop","x":1,"y":2,"width":30,"height":40},
             {"op":"dehaze","patch":7,"omega":0.9,"t0":0.2,"radius":30,"eps":0.001,"subsampling":2}]
            """
        let operations = try ImageOperation.parseList(Array(json.utf8))
        #expect(operations == Self.everyKind)
        // And back: encoding then parsing gives the same list.
        let encoded = try JSONEncoder().encode(operations)
        #expect(try ImageOperation.parseList(encoded) == operations)
        #expect(try ImageOperation.parseList(Array(#"[{"op":"dehaze"}]"#.utf8)) == [.dehaze(DehazeParameters())])
    }

    @Test(arguments: [
        (#"[{"op":"explode"}]"#, "unknown operation 'explode'"),
        (#"[{"op":"resize","widht":10}]"#, "resize has no parameter 'widht'"),
        (#"[{"op":"resize"}]"#, "give width, height or both"),
        (#"[{"op":"resize","width":"ten"}]"#, "expected an integer"),
        (#"[{"op":"resize","width":0}]"#, "width must be 1…32768, got 0"),
        (#"[{"op":"resize","width":10,"fit":"squash"}]"#, "'fit' has an unknown value"),
        (#"[{"op":"threshold","value":300}]"#, "value must be 0…255, got 300"),
        (#"[{"op":"threshold"}]"#, "threshold needs 'value'"),
        (#"[{"op":"threshold","method":"mean"}]"#, "method must be 'otsu'"),
        (#"[{"op":"blur","sigma":-2}]"#, "sigma must be in (0, 200]"),
        (#"[{"op":"rotate"}]"#, "rotate needs 'degrees'"),
        (#"[{"op":"rotate","degrees":10,"background":"red"}]"#, "#RRGGBB"),
        (#"[{"op":"crop","x":0,"y":0,"width":0,"height":5}]"#, "width and height must be 1 or more"),
        (#"[{"op":"dehaze","omega":2}]"#, "omega must be in (0, 1]"),
        (#"[{"width":5}]"#, "'op' is missing"),
        (#"{"op":"flip"}"#, "not a JSON array"),
        (#"[{"op":"flip"}"#, "not a JSON array"),
    ])
    func rejectsBadOperationsWithAClearMessage(json: String, message: String) {
        do {
            _ = try ImageOperation.parseList(Array(json.utf8))
            Issue.record("\(json) parsed")
        } catch {
            #expect(error.description.contains(message), "\(json): \(error.description)")
        }
    }

    @Test func rejectsTooManyOperations() {
        let json = "[" + Array(repeating: #"{"op":"flip"}"#, count: 33).joined(separator: ",") + "]"
        #expect(throws: InvalidOperation(operation: "ops", message: "at most 32 operations, got 33")) {
            try ImageOperation.parseList(Array(json.utf8))
        }
    }
}
