import Foundation
import Synchronization

/// A progress bar on stderr when it is a terminal; nothing when piped.
final class ProgressBar: Sendable {
    private let label: String
    /// The percentage last drawn.
    private let shown = Mutex(-1)
    let enabled = StandardError.isTerminal

    init(_ label: String) { self.label = String(Output.clean(label).prefix(32)) }

    func update(_ done: Int, _ total: Int) {
        guard enabled, total > 0 else { return }
        let percent = min(100, done * 100 / total)
        guard
            shown.withLock({ last in
                defer { last = percent }; return last != percent
            })
        else { return }
        let width = 30
        let filled = percent * width / 100
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        StandardError.write("\r\(label.padding(toLength: 32, withPad: " ", startingAt: 0)) \(bar) \(percent)%")
    }

    /// Clears the bar's line, so what follows starts at the left margin.
    func finish() {
        guard enabled else { return }
        StandardError.write("\r\u{1B}[2K")
    }
}
