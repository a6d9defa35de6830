import Foundation

/// One Codable form for both encodings an operation travels in. In JSON (the REST API) it is
/// `{"op": "resize", "width": 800, "fit": "cover"}`; in Wire each parameter name has a field number
/// (``Key/numbers``), so the same code writes a binary message. Unknown operations, unknown
/// parameters, wrong types and out-of-range values are errors that say which.
extension ImageOperation: Codable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { Self.numbers[stringValue] }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) {
            guard let name = Self.names[intValue] else { return nil }
            stringValue = name
        }

        /// Wire field numbers of the parameter names. A number keeps its name for ever (docs/wire.md);
        /// a new parameter takes the next one.
        static let numbers: [String: Int] = [
            "op": 1, "width": 2, "height": 3, "fit": 4, "filter": 5, "sigma": 6, "amount": 7, "threshold": 8,
            "value": 9, "method": 10, "mode": 11, "kind": 12, "degrees": 13, "expand": 14, "background": 15,
            "axis": 16, "x": 17, "y": 18, "patch": 19, "omega": 20, "t0": 21, "radius": 22, "eps": 23,
            "subsampling": 24,
        ]
        static let names = Dictionary(uniqueKeysWithValues: numbers.map { ($1, $0) })
    }

    /// The parameters each operation takes (besides `op`).
    private static let parameters: [String: Set<String>] = [
        "resize": ["width", "height", "fit", "filter"],
        "sharpen": ["sigma", "amount", "threshold"],
        "threshold": ["value", "method", "mode"],
        "color": ["mode"],
        "blur": ["sigma", "kind"],
        "rotate": ["degrees", "expand", "background"],
        "flip": ["axis"],
        "crop": ["x", "y", "width", "height"],
        "dehaze": ["patch", "omega", "t0", "radius", "eps", "subsampling"],
        "autorotate": [],
    ]

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let name = try container.decode(String.self, forKey: Key("op"))
        guard let allowed = Self.parameters[name] else {
            throw Self.failure(decoder, "unknown operation '\(name)'; known: \(Self.names.joined(separator: ", "))")
        }
        for key in container.allKeys where key.stringValue != "op" && !allowed.contains(key.stringValue) {
            let known = allowed.isEmpty ? "none" : allowed.sorted().joined(separator: ", ")
            throw Self.failure(decoder, "\(name) has no parameter '\(key.stringValue)'; it takes: \(known)")
        }
        func optional<T: Decodable>(_ key: String, _ type: T.Type = T.self) throws -> T? {
            try container.decodeIfPresent(T.self, forKey: Key(key))
        }
        func required<T: Decodable>(_ key: String, _ type: T.Type = T.self) throws -> T {
            guard let value = try optional(key, T.self) else {
                throw Self.failure(decoder, "\(name) needs '\(key)'")
            }
            return value
        }
        switch name {
        case "resize":
            self = .resize(
                width: try optional("width"), height: try optional("height"),
                fit: try optional("fit") ?? .contain, filter: try optional("filter") ?? .area)
        case "sharpen":
            self = .sharpen(
                sigma: try optional("sigma") ?? 1, amount: try optional("amount") ?? 1,
                threshold: try optional("threshold") ?? 0)
        case "threshold":
            let method: String? = try optional("method")
            let value: Int? = try optional("value")
            let mode: ThresholdMode = try optional("mode") ?? .binary
            switch (method, value) {
            case ("otsu", nil): self = .threshold(.otsu, mode: mode)
            case (nil, let value?): self = .threshold(.value(value), mode: mode)
            case (nil, nil): throw Self.failure(decoder, "threshold needs 'value' (0…255) or \"method\": \"otsu\"")
            case (let method?, _) where method != "otsu":
                throw Self.failure(decoder, "threshold method must be 'otsu', got '\(method)'")
            default: throw Self.failure(decoder, "threshold takes 'value' or 'method', not both")
            }
        case "color":
            self = .color(try required("mode"))
        case "blur":
            self = .blur(sigma: try optional("sigma") ?? 2, kind: try optional("kind") ?? .gaussian)
        case "rotate":
            self = .rotate(
                degrees: try required("degrees"), expand: try optional("expand") ?? true,
                background: try optional("background"))
        case "flip":
            self = .flip(try optional("axis") ?? .horizontal)
        case "crop":
            self = .crop(
                x: try required("x"), y: try required("y"), width: try required("width"), height: try required("height")
            )
        case "dehaze":
            let defaults = DehazeParameters()
            self = .dehaze(
                DehazeParameters(
                    patch: try optional("patch") ?? defaults.patch, omega: try optional("omega") ?? defaults.omega,
                    t0: try optional("t0") ?? defaults.t0, radius: try optional("radius") ?? defaults.radius,
                    eps: try optional("eps") ?? defaults.eps,
                    subsampling: try optional("subsampling") ?? defaults.subsampling))
        default:
            self = .autorotate
        }
        do {
            try validate()
        } catch {
            throw Self.failure(decoder, error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(name, forKey: Key("op"))
        switch self {
        case .resize(let width, let height, let fit, let filter):
            try container.encodeIfPresent(width, forKey: Key("width"))
            try container.encodeIfPresent(height, forKey: Key("height"))
            try container.encode(fit, forKey: Key("fit"))
            try container.encode(filter, forKey: Key("filter"))
        case .sharpen(let sigma, let amount, let threshold):
            try container.encode(sigma, forKey: Key("sigma"))
            try container.encode(amount, forKey: Key("amount"))
            try container.encode(threshold, forKey: Key("threshold"))
        case .threshold(let threshold, let mode):
            switch threshold {
            case .value(let value): try container.encode(value, forKey: Key("value"))
            case .otsu: try container.encode("otsu", forKey: Key("method"))
            }
            try container.encode(mode, forKey: Key("mode"))
        case .color(let mode):
            try container.encode(mode, forKey: Key("mode"))
        case .blur(let sigma, let kind):
            try container.encode(sigma, forKey: Key("sigma"))
            try container.encode(kind, forKey: Key("kind"))
        case .rotate(let degrees, let expand, let background):
            try container.encode(degrees, forKey: Key("degrees"))
            try container.encode(expand, forKey: Key("expand"))
            try container.encodeIfPresent(background, forKey: Key("background"))
        case .flip(let axis):
            try container.encode(axis, forKey: Key("axis"))
        case .crop(let x, let y, let width, let height):
            for (key, value) in [("x", x), ("y", y), ("width", width), ("height", height)] {
                try container.encode(value, forKey: Key(key))
            }
        case .dehaze(let parameters):
            try container.encode(parameters.patch, forKey: Key("patch"))
            try container.encode(parameters.omega, forKey: Key("omega"))
            try container.encode(parameters.t0, forKey: Key("t0"))
            try container.encode(parameters.radius, forKey: Key("radius"))
            try container.encode(parameters.eps, forKey: Key("eps"))
            try container.encode(parameters.subsampling, forKey: Key("subsampling"))
        case .autorotate:
            break
        }
    }

    private static func failure(_ decoder: any Decoder, _ message: String) -> DecodingError {
        .dataCorrupted(DecodingError.Context(codingPath: decoder.codingPath, debugDescription: message))
    }

    /// Parses a JSON array of operations, with an error message a client can act on.
    public static func parseList(
        _ json: some ContiguousBytes & DataProtocol, limit: Int = OperationLimits.maximumOperations
    ) throws(InvalidOperation) -> [ImageOperation] {
        let operations: [ImageOperation]
        do {
            operations = try JSONDecoder().decode(WholeList.self, from: Data(json)).operations
        } catch let error as InvalidOperation {
            throw error
        } catch {
            throw InvalidOperation(operation: "ops", message: "not a JSON array of operations")
        }
        return try checked(operations, limit: limit)
    }

    /// Decodes the list of operations at `decoder`'s position (a whole body, or one field of it, as the
    /// gateway's `ops`), with the same messages as `parseList`, counted from that position.
    public static func decodeList(from decoder: any Decoder, limit: Int = OperationLimits.maximumOperations)
        throws(InvalidOperation) -> [ImageOperation]
    {
        let depth = decoder.codingPath.count
        let operations: [ImageOperation]
        do {
            operations = try decoder.singleValueContainer().decode([ImageOperation].self)
        } catch let DecodingError.dataCorrupted(context) {
            throw InvalidOperation(operation: "ops", message: describe(context, depth))
        } catch let DecodingError.keyNotFound(key, context) {
            throw InvalidOperation(
                operation: "ops", message: "\(position(context, depth))'\(key.stringValue)' is missing")
        } catch let DecodingError.typeMismatch(type, context) {
            if context.codingPath.count <= depth {
                throw InvalidOperation(operation: "ops", message: "not a JSON array of operations")
            }
            throw InvalidOperation(operation: "ops", message: "\(position(context, depth))expected \(typeName(type))")
        } catch let DecodingError.valueNotFound(type, context) {
            throw InvalidOperation(
                operation: "ops", message: "\(position(context, depth))expected \(typeName(type)), got null")
        } catch {
            throw InvalidOperation(operation: "ops", message: "not a JSON array of operations")
        }
        return try checked(operations, limit: limit)
    }

    private static func checked(_ operations: [ImageOperation], limit: Int) throws(InvalidOperation) -> [ImageOperation]
    {
        guard operations.count <= limit else {
            throw InvalidOperation(operation: "ops", message: "at most \(limit) operations, got \(operations.count)")
        }
        return operations
    }

    private static func describe(_ context: DecodingError.Context, _ depth: Int) -> String {
        // An invalid enum value reads "Cannot initialize ResizeFit from invalid String value x".
        let text = context.debugDescription
        if text.hasPrefix("Cannot initialize"), let last = context.codingPath.last {
            return "\(position(context, depth))'\(last.stringValue)' has an unknown value"
        }
        if context.codingPath.count <= depth { return "not a JSON array of operations" }
        return position(context, depth) + text
    }

    /// "operation N 'key': " for a path below the list at `depth`.
    private static func position(_ context: DecodingError.Context, _ depth: Int) -> String {
        let path = context.codingPath.dropFirst(depth)
        guard let index = path.first?.intValue else { return "" }
        let key = path.dropFirst().last.map { " '\($0.stringValue)'" } ?? ""
        return "operation \(index + 1)\(key): "
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        default: "an object"
        }
    }
}

/// A JSON text that is one list of operations (`parseList`).
private struct WholeList: Decodable {
    var operations: [ImageOperation]
    init(from decoder: any Decoder) throws { operations = try ImageOperation.decodeList(from: decoder, limit: .max) }
}
