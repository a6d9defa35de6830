import ArgumentParser
import Foundation

/// `clearsky auth …`: accounts and the saved session.
struct AuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth", abstract: "Sign up, sign in and out, and manage the account.",
        subcommands: [
            Signup.self, Confirm.self, Resend.self, Login.self, Logout.self, Whoami.self, ChangePassword.self,
            DeleteAccount.self,
        ])

    struct Signup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account; a code is mailed to confirm it.")
        @OptionGroup var options: ClientOptions
        @Option var username: String
        @Option var email: String
        @Flag(help: "Read the password from stdin (one line) instead of prompting.") var passwordStdin = false

        func run() async throws {
            try await runClient {
                let password = try Password.new("Password: ", fromStdin: passwordStdin)
                let answer = try await options.client().send(
                    .POST, "/v1/auth/signup",
                    body: .json(["username": username, "email": email, "password": password]), signedIn: false)
                if options.json { return Output.json(answer) }
                let delivery = try answer.object()["delivery"] as? [String: Any]
                Output.line(
                    "Account \(username) created; a code went to \(delivery?["destination"] as? String ?? email).")
                Output.line("Confirm it: clearsky auth confirm --username \(username) --code CODE")
            }
        }
    }

    struct Confirm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Confirm an account with the mailed code.")
        @OptionGroup var options: ClientOptions
        @Option var username: String
        @Option var code: String

        func run() async throws {
            try await runClient {
                _ = try await options.client().send(
                    .POST, "/v1/auth/confirm", body: .json(["username": username, "code": code]), signedIn: false)
                if options.json { return Output.json(["confirmed": true, "username": username]) }
                Output.line("Confirmed. Sign in: clearsky auth login --username \(username)")
            }
        }
    }

    struct Resend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resend-code", abstract: "Mail the confirmation code again.")
        @OptionGroup var options: ClientOptions
        @Option var username: String

        func run() async throws {
            try await runClient {
                let answer = try await options.client().send(
                    .POST, "/v1/auth/resend-code", body: .json(["username": username]), signedIn: false)
                if options.json { return Output.json(answer) }
                Output.line("If \(username) is waiting for a code, it went to \(username)'s address.")
            }
        }
    }

    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign in; the session is saved for later commands.")
        @OptionGroup var options: ClientOptions
        @Option(help: "The username or the account's e-mail address.") var username: String
        @Flag(help: "Read the password from stdin (one line) instead of prompting.") var passwordStdin = false

        func run() async throws {
            try await runClient {
                let password = try Password.read("Password: ", fromStdin: passwordStdin)
                let client = try options.client()
                let answer = try await client.send(
                    .POST, "/v1/auth/login", body: .json(["username": username, "password": password]),
                    signedIn: false)
                try await client.adopt(try answer.object(), username: username)
                if options.json {
                    return Output.json(["signedIn": true, "username": username, "server": client.server])
                }
                Output.line("Signed in to \(client.server) as \(username).")
            }
        }
    }

    struct Logout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign out: end this session and forget it.")
        @OptionGroup var options: ClientOptions

        func run() async throws {
            try await runClient {
                let client = try options.client()
                guard let session = await client.session else {
                    if options.json { return Output.json(["signedOut": true]) }
                    return Output.line("Not signed in.")
                }
                defer { Session.remove() }
                _ = try? await client.send(
                    .POST, "/v1/auth/logout", body: .json(["refreshToken": session.refreshToken]), signedIn: false)
                if options.json { return Output.json(["signedOut": true]) }
                Output.line("Signed out.")
            }
        }
    }

    struct Whoami: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Who the session is signed in as.")
        @OptionGroup var options: ClientOptions

        func run() async throws {
            try await runClient {
                let client = try options.client()
                let answer = try await client.send(.GET, "/v1/me")
                if options.json { return Output.json(answer) }
                let me = try answer.object()
                Output.line(
                    "\(me["username"] as? String ?? "?") <\(me["email"] as? String ?? "?")> on \(client.server)")
            }
        }
    }

    struct ChangePassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "password", abstract: "Change the password (other sessions end).")
        @OptionGroup var options: ClientOptions
        @Flag(help: "Read the current and the new password from stdin, one per line.") var passwordStdin = false

        func run() async throws {
            try await runClient {
                let old = try Password.read("Current password: ", fromStdin: passwordStdin)
                let new = try Password.new("New password: ", fromStdin: passwordStdin)
                _ = try await options.client().send(
                    .POST, "/v1/auth/password/change", body: .json(["oldPassword": old, "newPassword": new]))
                if options.json { return Output.json(["changed": true]) }
                Output.line("Password changed; other sessions were signed out.")
            }
        }
    }

    struct DeleteAccount: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete-account",
            abstract: "Delete the account and every image, job, tag and subscription of it.")
        @OptionGroup var options: ClientOptions
        @Flag(help: "Read the password from stdin.") var passwordStdin = false
        @Flag(help: "Do not ask for confirmation.") var yes = false

        func run() async throws {
            try await runClient {
                let client = try options.client()
                guard let session = await client.session else {
                    throw CLIError.refused("not signed in, run clearsky auth login")
                }
                if !yes {
                    guard isatty(STDIN_FILENO) == 1 else {
                        throw CLIError.usage("give --yes to delete the account without a prompt")
                    }
                    StandardError.write(
                        "This deletes \(session.username) and everything in it, for good. Type the username: ")
                    guard Swift.readLine() == session.username else {
                        throw CLIError.usage("not confirmed; nothing deleted")
                    }
                }
                let password = try Password.read("Password: ", fromStdin: passwordStdin)
                _ = try await client.send(.DELETE, "/v1/me", body: .json(["password": password]))
                await client.forget()
                if options.json { return Output.json(["deleted": session.username]) }
                Output.line("Account \(session.username) and everything in it are deleted.")
            }
        }
    }
}
