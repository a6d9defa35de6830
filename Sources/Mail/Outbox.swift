import Foundation

/// Delivers mail as RFC 5322 files in a folder (`DATA/mail/outbox/`), for installations without SMTP
/// and for tests. Each file is written under a temporary name and renamed, so a reader never sees half
/// a message.
public struct Outbox: MailDelivery {
    public let folder: String

    public init(folder: String) throws {
        self.folder = folder
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    public func deliver(_ message: MailMessage) async throws {
        let stamp = Int(Date().timeIntervalSince1970 * 1000)
        let id = UUID().uuidString.lowercased()
        let text = message.rfc5322(messageID: "\(id)@clearsky")
        let name = "\(stamp)-\(id).eml"
        let temporary = "\(folder)/.\(name).tmp"
        try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        try FileManager.default.moveItem(atPath: temporary, toPath: "\(folder)/\(name)")
    }

    /// The messages in the folder, oldest first (file names start with the time in milliseconds).
    public func messages() throws -> [(name: String, text: String)] {
        try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasSuffix(".eml") && !$0.hasPrefix(".") }
            .sorted()
            .map { ($0, try String(contentsOfFile: "\(folder)/\($0)", encoding: .utf8)) }
    }
}
