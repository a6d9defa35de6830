import Foundation

/// A signed-in session on disk: the server, the user, the refresh token and the current access token,
/// in `$XDG_CONFIG_HOME/clearsky/session.json` (default `~/.config/clearsky/`), the folder 0700 and the
/// file 0600, written whole to a temporary file and renamed so a crash never leaves half a session.
struct Session: Codable, Equatable {
    var server: String
    var username: String
    var refreshToken: String
    var accessToken: String
    /// Seconds since 1970 when the access token stops working.
    var accessExpiresAt: Double

    static func folder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let config = environment["XDG_CONFIG_HOME"], config.hasPrefix("/") { return config + "/clearsky" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.config/clearsky"
    }

    static var path: String { folder() + "/session.json" }

    static func load() -> Session? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(Session.self, from: data)
    }

    func save() throws {
        let folder = Self.folder()
        do {
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            _ = chmod(folder, 0o700)
            let temporary = folder + "/.session.\(getpid()).tmp"
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            guard descriptor >= 0 else { throw CLIError.refused("cannot write \(temporary): \(errnoText())") }
            let data = Array(try JSONEncoder().encode(self))
            let written = data.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            fsync(descriptor)
            close(descriptor)
            guard written == data.count, rename(temporary, Self.path) == 0 else {
                unlink(temporary)
                throw CLIError.refused("cannot save the session in \(folder): \(errnoText())")
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError.refused("cannot save the session in \(folder): \(error.localizedDescription)")
        }
    }

    static func remove() {
        unlink(path)
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }
