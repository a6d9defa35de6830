/// Why a webhook request failed, in the words a subscriber may see: nothing about ports, addresses or
/// connection errors (the service's log has those).
enum WebhookFailure: Error, Equatable, CustomStringConvertible {
    /// The target's address is not public unicast and not on the operator's allow-list.
    case notAllowed
    /// No HTTP answer: refused, timed out, reset, bad TLS — all the same to the subscriber.
    case noAnswer

    var description: String {
        switch self {
        case .notAllowed: OutboundPolicy.userMessage
        case .noAnswer: "The webhook did not answer"
        }
    }
}
