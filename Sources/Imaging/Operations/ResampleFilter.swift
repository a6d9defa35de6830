import Foundation

extension ResampleFilter {
    /// Half the kernel's width at scale 1.
    var radius: Double {
        switch self {
        case .area: 0.5
        case .bilinear: 1
        case .bicubic: 2
        case .lanczos3: 3
        }
    }

    func weight(_ x: Double) -> Double {
        let x = abs(x)
        switch self {
        case .area: return x < 0.5 ? 1 : 0
        case .bilinear: return max(0, 1 - x)
        case .bicubic:
            let a = -0.75
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
            return 0
        case .lanczos3:
            if x == 0 { return 1 }
            if x >= 3 { return 0 }
            let px = Double.pi * x
            return 3 * sin(px) * sin(px / 3) / (px * px)
        }
    }
}

/// For each output index along one axis: the first input index and the weights of `taps` inputs from it.
struct ResampleWeights {
    let taps: Int
    let starts: [Int]
    /// `taps` weights per output index, summing to 1.
    let weights: [Float]

    /// Weights mapping `input` samples onto `output` samples. Shrinking widens the kernel by the scale (so
    /// it averages instead of skipping pixels) unless `antialias` is off, which samples like OpenCV's
    /// INTER_LINEAR and INTER_CUBIC do; samples beyond an edge repeat the edge pixel, as in OpenCV.
    init(input: Int, output: Int, filter: ResampleFilter, antialias: Bool = true) {
        let scale = Double(input) / Double(output)
        let filter = filter == .area && scale <= 1 ? .bilinear : filter
        let stretch = antialias || filter == .area ? max(scale, 1) : 1
        let support = filter.radius * stretch
        var perOutput: [[(index: Int, weight: Double)]] = []
        perOutput.reserveCapacity(output)
        var taps = 1
        for position in 0..<output {
            let center = (Double(position) + 0.5) * scale
            var folded: [Int: Double] = [:]
            if filter == .area {
                // Exact coverage of the source interval [position·scale, (position+1)·scale).
                let low = Double(position) * scale
                let high = low + scale
                for index in Int(low.rounded(.down))..<Int(high.rounded(.up)) {
                    let overlap = min(high, Double(index + 1)) - max(low, Double(index))
                    if overlap > 1e-12 { folded[min(max(index, 0), input - 1), default: 0] += overlap }
                }
            } else {
                let first = Int((center - support).rounded(.down))
                let last = Int((center + support).rounded(.up))
                for index in first...last {
                    let weight = filter.weight((Double(index) + 0.5 - center) / stretch)
                    if weight != 0 { folded[min(max(index, 0), input - 1), default: 0] += weight }
                }
            }
            let entries = folded.sorted { $0.key < $1.key }.map { (index: $0.key, weight: $0.value) }
            let safe = entries.isEmpty ? [(index: min(Int(center), input - 1), weight: 1.0)] : entries
            taps = max(taps, safe.last!.index - safe.first!.index + 1)
            perOutput.append(safe)
        }
        taps = min(taps, input)
        var starts = [Int](repeating: 0, count: output)
        var weights = [Float](repeating: 0, count: output * taps)
        for (position, entries) in perOutput.enumerated() {
            let total = entries.reduce(0) { $0 + $1.weight }
            let start = min(entries.first!.index, input - taps)
            starts[position] = start
            for entry in entries {
                weights[position * taps + entry.index - start] = Float(entry.weight / total)
            }
        }
        self.taps = taps
        self.starts = starts
        self.weights = weights
    }
}
