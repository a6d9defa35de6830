import ArgumentParser
import Foundation

/// `clearsky sub …`: notifications by mail or webhook when an image gains a followed tag.
struct SubscriptionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sub", abstract: "Subscribe to tags by e-mail or webhook, list and end subscriptions.",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Subscribe to tags (my account's address unless --email or --webhook).")
        @OptionGroup var options: ClientOptions
        @Option(help: "Tags, comma-separated.") var tags: String
        @Option(help: "Mail this address (confirmed through a mailed link).") var email: String?
        @Option(help: "POST to this URL (it must answer the signed confirmation challenge).") var webhook: String?

        func validate() throws {
            if email != nil, webhook != nil { throw ValidationError("give --email or --webhook, not both") }
        }

        func run() async throws {
            try await runClient {
                let list = tags.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                    !$0.isEmpty
                }
                guard !list.isEmpty else { throw CLIError.usage("--tags: name at least one tag") }
                var body: [String: any Sendable] = ["tags": list, "channel": webhook == nil ? "email" : "webhook"]
                if let target = webhook ?? email { body["target"] = target }
                let answer = try await options.client().send(.POST, "/v1/subscriptions", body: .json(body))
                if options.json { return Output.json(answer) }
                let subscription = try answer.object()
                Output.line(
                    "Subscribed \(subscription["id"] as? String ?? "?") to \(list.joined(separator: ", ")) → "
                        + "\(subscription["target"] as? String ?? "") (\(subscription["status"] as? String ?? ""))")
                if let secret = subscription["secret"] as? String {
                    Output.line("Webhook secret (shown once): \(secret)")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "My subscriptions with their delivery figures.")
        @OptionGroup var options: ClientOptions

        func run() async throws {
            try await runClient {
                let answer = try await options.client().send(.GET, "/v1/subscriptions")
                if options.json { return Output.json(answer) }
                let items = (try answer.object()["items"] as? [[String: Any]]) ?? []
                if items.isEmpty { return Output.line("No subscriptions.") }
                Output.table(
                    ["ID", "TAGS", "CHANNEL", "TARGET", "STATE", "DELIVERED", "PENDING", "DROPPED"],
                    items.map { item in
                        let deliveries = item["deliveries"] as? [String: Any] ?? [:]
                        return [
                            item["id"] as? String ?? "", ((item["tags"] as? [String]) ?? []).joined(separator: ","),
                            item["channel"] as? String ?? "", item["target"] as? String ?? "",
                            item["status"] as? String ?? "", String(deliveries["delivered"] as? Int ?? 0),
                            String(deliveries["pending"] as? Int ?? 0), String(deliveries["dropped"] as? Int ?? 0),
                        ]
                    })
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "End subscriptions.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Subscription IDs.") var ids: [String]

        func validate() throws { if ids.isEmpty { throw ValidationError("name at least one subscription ID") } }

        func run() async throws {
            try await runClient {
                let client = try options.client()
                for id in ids {
                    _ = try await client.send(.DELETE, "/v1/subscriptions/\(try Paths.segment(id))")
                    if !options.json { Output.line("Unsubscribed \(id).") }
                }
                if options.json { Output.json(["deleted": ids]) }
            }
        }
    }
}
