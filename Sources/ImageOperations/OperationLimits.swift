/// An operation's parameter out of its range, or a list that is not one of operations: which operation
/// (`ops` for the list as a whole) and what is wrong, in words a client can act on.
public struct InvalidOperation: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var message: String

    public init(operation: String, message: String) { (self.operation, self.message) = (operation, message) }

    public var description: String { "\(operation): \(message)" }
}

/// The ranges the operations accept, checked the same way before a job is queued (``ImageOperation/validate()``)
/// and by the kernels that run them.
public enum OperationLimits {
    /// Longest list of operations accepted.
    public static let maximumOperations = 32

    /// Largest side accepted for a resize: keeps a typo from asking for gigapixels.
    public static let maximumSide = 32_768

    /// What a resize that names neither side is told.
    public static let missingSize = InvalidOperation(operation: "resize", message: "give width, height or both")

    /// A resize names at least one side, each 1…`maximumSide`.
    public static func checkResize(width: Int?, height: Int?) throws(InvalidOperation) {
        if width == nil && height == nil { throw missingSize }
        for (name, value) in [("width", width), ("height", height)] {
            if let value, !(1...maximumSide).contains(value) {
                throw InvalidOperation(operation: "resize", message: "\(name) must be 1…\(maximumSide), got \(value)")
            }
        }
    }

    /// A Gaussian's sigma: (0, 200] pixels.
    public static func checkSigma(_ sigma: Double, operation: String) throws(InvalidOperation) {
        guard sigma > 0, sigma <= 200 else {
            throw InvalidOperation(operation: operation, message: "sigma must be in (0, 200], got \(sigma)")
        }
    }

    /// A box radius is 1…200; a median radius 1…50 (its cost grows with the radius).
    public static func checkRadius(_ radius: Int, of kind: BlurKind) throws(InvalidOperation) {
        let limit = kind == .median ? 50 : 200
        guard (1...limit).contains(radius) else {
            throw InvalidOperation(
                operation: "blur", message: "a \(kind.rawValue) radius must be 1…\(limit), got \(radius)")
        }
    }

    public static func checkSharpen(sigma: Double, amount: Double, threshold: Int) throws(InvalidOperation) {
        try checkSigma(sigma, operation: "sharpen")
        guard amount >= 0, amount <= 20 else {
            throw InvalidOperation(operation: "sharpen", message: "amount must be 0…20, got \(amount)")
        }
        guard (0...255).contains(threshold) else {
            throw InvalidOperation(operation: "sharpen", message: "threshold must be 0…255, got \(threshold)")
        }
    }

    /// A threshold level: 0…255.
    public static func checkThreshold(_ value: Int) throws(InvalidOperation) {
        guard (0...255).contains(value) else {
            throw InvalidOperation(operation: "threshold", message: "value must be 0…255, got \(value)")
        }
    }
}
