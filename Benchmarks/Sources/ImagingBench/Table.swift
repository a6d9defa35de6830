import Foundation

/// Rows of Swift vs OpenCV milliseconds, printed as one Markdown table per size.
struct Table {
    struct Row {
        var swift: [String: Double] = [:]
        var opencv: [String: Double] = [:]
    }

    private var order: [String] = []
    private var rows: [String: Row] = [:]

    mutating func add(size: String, operation: String, mode: String, swift: Double, opencv: Double?) {
        let key = "\(size) \(operation)"
        if rows[key] == nil {
            order.append(key)
            rows[key] = Row()
        }
        rows[key]!.swift[mode] = swift
        if let opencv { rows[key]!.opencv[mode] = opencv }
    }

    func print() {
        Swift.print("")
        Swift.print(
            "| size | operation | Swift 1 thread ms | OpenCV 1 thread ms | ratio | Swift all cores ms | OpenCV default ms | ratio |"
        )
        Swift.print("|---|---|---:|---:|---:|---:|---:|---:|")
        for key in order {
            let row = rows[key]!
            let parts = key.split(separator: " ")
            var line = "| \(parts[0]) | \(parts[1]) |"
            for mode in ["threads_1", "threads_default"] {
                let swift = row.swift[mode] ?? .nan
                let opencv = row.opencv[mode]
                line +=
                    " \(format(swift)) | \(opencv.map { format($0) } ?? "–") | \(opencv.map { format(swift / $0, digits: 2) + "×" } ?? "–") |"
            }
            Swift.print(line)
        }
    }
}

func format(_ value: Double, digits: Int = 2) -> String {
    String(format: "%.\(digits)f", value)
}
