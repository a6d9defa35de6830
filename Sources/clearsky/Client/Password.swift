import Foundation

/// Reading a password: a line of stdin with `--password-stdin`, else a prompt on the terminal with
/// echo off. Never from a pipe without the flag, so a script cannot hang on a prompt it cannot see.
enum Password {
    static func read(_ prompt: String, fromStdin: Bool) throws -> String {
        if fromStdin {
            guard let line = Swift.readLine(strippingNewline: true), !line.isEmpty else {
                throw CLIError.usage("--password-stdin: stdin gave no password")
            }
            return line
        }
        guard isatty(STDIN_FILENO) == 1 else {
            throw CLIError.usage("stdin is not a terminal: give --password-stdin to read the password from it")
        }
        // Echo goes off before the prompt appears: whatever is typed once the prompt shows is not echoed
        // (someone, or a script on a pty, may type the moment they see it).
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
        StandardError.write(prompt)
        defer {
            tcsetattr(STDIN_FILENO, TCSANOW, &saved)
            StandardError.write("\n")
        }
        guard let line = Swift.readLine(strippingNewline: true), !line.isEmpty else {
            throw CLIError.usage("no password given")
        }
        return line
    }

    /// A new password, typed twice on a terminal (once from stdin).
    static func new(_ prompt: String, fromStdin: Bool) throws -> String {
        let first = try read(prompt, fromStdin: fromStdin)
        if !fromStdin, try read("Again: ", fromStdin: false) != first {
            throw CLIError.usage("the two passwords differ")
        }
        return first
    }
}
