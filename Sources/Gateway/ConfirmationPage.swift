import Contracts
import Foundation
import Hummingbird
import Wire

/// The page behind the link mailed to an address someone subscribed (L5). Opening the link changes
/// nothing — mail scanners and link previews fetch it too — it shows a button that POSTs the token.
/// The page has no script and no inline style, so it stands under the strictest Content-Security-Policy.
enum ConfirmationPage {
    /// A token as TagSvc makes them (hex), and nothing else, so it can go into the page and the API.
    static func checkedToken(_ text: String?) throws -> String {
        guard let text, (1...128).contains(text.utf8.count),
            text.unicodeScalars.allSatisfy(\.properties.isASCIIHexDigit)
        else { throw APIError(.badRequest, "InvalidParameter", "Give the token from the confirmation email") }
        return text
    }

    static func form(token: String) -> Response {
        page(
            title: "Confirm your subscription",
            body: """
                <p>Someone asked Clearsky to mail this address when new images carry tags they follow.</p>
                <form method="post" action="/v1/subscriptions/confirm">
                <input type="hidden" name="token" value="\(escaped(token))">
                <button type="submit">Confirm the subscription</button>
                </form>
                <p>If it was not you, close this page; nothing will be sent.</p>
                """)
    }

    static func confirmed(_ subscription: Subscription) -> Response {
        page(
            title: "Subscription confirmed",
            body: """
                <p>This address will now hear about new images tagged \
                \(escaped(subscription.tags.joined(separator: ", "))).</p>
                """)
    }

    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    private static func page(title: String, body: String) -> Response {
        let html = """
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · Clearsky</title></head>
            <body><main><h1>\(title)</h1>
            \(body)
            </main></body>
            </html>

            """
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy:
                    "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
