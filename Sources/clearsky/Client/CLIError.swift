import ArgumentParser
import Foundation

/// What a client command prints on failure: one line on stderr, and an exit status that says which
/// kind of failure it was (1 the server refused, 2 bad usage, 3 the server cannot be reached).
struct CLIError: Error, CustomStringConvertible {
    enum Kind: Int32 {
        case refused = 1
        case usage = 2
        case unreachable = 3
    }

    let kind: Kind
    let message: String

    var description: String { message }

    static func usage(_ message: String) -> CLIError { CLIError(kind: .usage, message: message) }
    static func refused(_ message: String) -> CLIError { CLIError(kind: .refused, message: message) }
    static func unreachable(_ message: String) -> CLIError { CLIError(kind: .unreachable, message: message) }

    static let signedOut = CLIError.refused("signed out, run clearsky auth login")
}

/// Standard error, unbuffered.
enum StandardError {
    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}

/// Runs a client command's body: a `CLIError` becomes its one line on stderr and its exit status; any
/// other error is a refusal in words, never a backtrace.
func runClient(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as CLIError {
        StandardError.write("clearsky: \(error.message)\n")
        throw ExitCode(error.kind.rawValue)
    } catch let exit as ExitCode {
        throw exit
    } catch {
        StandardError.write("clearsky: \(error)\n")
        throw ExitCode(CLIError.Kind.refused.rawValue)
    }
}
