import Foundation

/// The JSON form: `{"op": "resize", "width": 800, "fit": "cover"}`. Unknown operations, unknown
/// parameters, wrong types and out-of-range values are errors that say which.
extension Operation: Codable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
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
            self = .dehaze(try DehazeParameters(from: decoder))
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
            try parameters.encode(to: encoder)
        case .autorotate:
            break
        }
    }

    private static func failure(_ decoder: any Decoder, _ message: String) -> DecodingError {
        .dataCorrupted(DecodingError.Context(codingPath: decoder.codingPath, debugDescription: message))
    }

    /// Parses a JSON array of operations, with an error message a client can act on.
    public static func parseList(_ json: some ContiguousBytes & DataProtocol, limit: Int = Pipeline.maximumOperations)
        throws(ImagingError) -> [Operation]
    {
        let operations: [Operation]
        do {
            operations = try JSONDecoder().decode([Operation].self, from: Data(json))
        } catch let DecodingError.dataCorrupted(context) {
            throw .invalidParameter(operation: "ops", message: describe(context))
        } catch let DecodingError.keyNotFound(key, context) {
            throw .invalidParameter(operation: "ops", message: "\(position(context))'\(key.stringValue)' is missing")
        } catch let DecodingError.typeMismatch(type, context) {
            if context.codingPath.isEmpty {
                throw .invalidParameter(operation: "ops", message: "not a JSON array of operations")
            }
            throw .invalidParameter(operation: "ops", message: "\(position(context))expected \(typeName(type))")
        } catch let DecodingError.valueNotFound(type, context) {
            throw .invalidParameter(
                operation: "ops", message: "\(position(context))expected \(typeName(type)), got null")
        } catch {
            throw .invalidParameter(operation: "ops", message: "not a JSON array of operations")
        }
        guard operations.count <= limit else {
            throw .invalidParameter(operation: "ops", message: "at most \(limit) operations, got \(operations.count)")
        }
        return operations
    }

    private static func describe(_ context: DecodingError.Context) -> String {
        // An invalid enum value reads "Cannot initialize ResizeFit from invalid String value x".
        let text = context.debugDescription
        if text.hasPrefix("Cannot initialize"), let last = context.codingPath.last {
            return "\(position(context))'\(last.stringValue)' has an unknown value"
        }
        if context.codingPath.isEmpty { return "not a JSON array of operations" }
        return position(context) + text
    }

    private static func position(_ context: DecodingError.Context) -> String {
        guard let index = context.codingPath.first?.intValue else { return "" }
        let key = context.codingPath.dropFirst().last.map { " '\($0.stringValue)'" } ?? ""
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
