/// Why a model could not be loaded or run.
public enum DetectionError: Error, Sendable, Equatable {
    /// A model file is not there; the message names the command that fetches it.
    case missingModelFile(path: String)
    /// A model file is there but its SHA-256 is not the expected one.
    case corruptModelFile(path: String, expected: String, actual: String)
    /// A cfg section this loader does not know.
    case unknownLayer(name: String, line: Int)
    /// A cfg value that is missing, malformed or unsupported.
    case invalidConfig(line: Int, message: String)
    /// The weights file ends before the cfg's layers have all their weights.
    case truncatedWeights(expectedFloats: Int, actualFloats: Int)
    /// The weights file holds more than the cfg's layers take, or a header it does not understand.
    case weightsMismatch(expectedFloats: Int, actualFloats: Int)
}

extension DetectionError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .missingModelFile(let path):
            "the model file \(path) is missing; fetch it with `scripts/fetch_model.sh` (or `make models`)"
        case .corruptModelFile(let path, let expected, let actual):
            "the model file \(path) has SHA-256 \(actual), expected \(expected); fetch it again with `scripts/fetch_model.sh`"
        case .unknownLayer(let name, let line): "cfg line \(line): unknown layer [\(name)]"
        case .invalidConfig(let line, let message): "cfg line \(line): \(message)"
        case .truncatedWeights(let expected, let actual):
            "the weights file is truncated: the cfg needs \(expected) floats, the file has \(actual)"
        case .weightsMismatch(let expected, let actual):
            "the weights file does not match the cfg: the cfg needs \(expected) floats, the file has \(actual)"
        }
    }
}
