import ArgumentParser
import Foundation

/// A whole-number setting of an executable: its flag, else its `CLEARSKY_*` variable, checked against
/// `range`. Nil when neither is given (the setting keeps its default). A variable that is not a number is
/// an error, as a flag that is not one is.
public func integerSetting(
    _ flag: Int?, flagName: String, variable: String, in range: ClosedRange<Int>, why: String? = nil,
    environment: [String: String] = ProcessInfo.processInfo.environment
) throws -> Int? {
    let value: Int
    if let flag {
        value = flag
    } else if let text = environment[variable], !text.isEmpty {
        guard let number = Int(text) else { throw ValidationError("\(variable) must be a number, got '\(text)'") }
        value = number
    } else {
        return nil
    }
    guard range.contains(value) else {
        let rule =
            range.upperBound < .max
            ? "must be \(range.lowerBound)…\(range.upperBound)"
            : range.lowerBound == 0 ? "must not be negative" : "must be at least \(range.lowerBound)"
        throw ValidationError("--\(flagName) (\(variable)) \(rule)\(why.map { " (\($0))" } ?? ""), got \(value)")
    }
    return value
}
