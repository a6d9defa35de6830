/// What a dehaze run found besides the image: the atmospheric light, for reports and tests.
public struct DehazeReport: Sendable, Equatable {
    /// A in 0…1 per colour channel (R, G, B; one value for gray images).
    public var atmosphericLight: [Double]
    /// Where A was taken from.
    public var atmosphericLightPixel: (x: Int, y: Int)

    public static func == (lhs: DehazeReport, rhs: DehazeReport) -> Bool {
        lhs.atmosphericLight == rhs.atmosphericLight && lhs.atmosphericLightPixel == rhs.atmosphericLightPixel
    }
}

extension PixelBuffer {
    /// Removes haze by the dark channel prior: J = (I − A) / max(t, t0) + A, with t refined by a guided
    /// filter on the gray image. Alpha is kept.
    public func dehazed(
        _ parameters: DehazeParameters = DehazeParameters(), parallelism: Parallelism = .allCores
    ) throws(ImagingError) -> PixelBuffer {
        try dehazedWithReport(parameters, parallelism: parallelism).image
    }

    public func dehazedWithReport(
        _ parameters: DehazeParameters = DehazeParameters(), parallelism: Parallelism = .allCores
    ) throws(ImagingError) -> (image: PixelBuffer, report: DehazeReport) {
        do { try parameters.validate() } catch { throw ImagingError(error) }
        return DarkChannelPrior(image: self, parameters: parameters, parallelism: parallelism).run()
    }
}

/// One dehaze run; the steps follow He, Sun and Tang (TPAMI 2011) and refbench's dcp_ref.py.
struct DarkChannelPrior {
    let image: PixelBuffer
    let parameters: DehazeParameters
    let parallelism: Parallelism

    var colorChannels: Int { image.layout.colorChannels }

    func run() -> (image: PixelBuffer, report: DehazeReport) {
        let (width, height) = (image.width, image.height)
        let count = image.pixelCount
        let patchRadius = parameters.patch / 2
        let colorChannels = self.colorChannels
        // 1. Dark channel of I: per-pixel minimum over the colour channels, then the patch minimum.
        // Planes below are left unset where made: the pass right after writes every pixel.
        var dark = [UInt8](hugePagesCount: count) { _ in }
        let channels = image.channels
        dark.withUnsafeMutableBufferPointer { dark in
            let dark = dark.baseAddress!
            forEachRange { range, pixels in
                if colorChannels == 3 {
                    for index in range {
                        let pixel = pixels + index * channels
                        dark[index] = min(pixel[0], min(pixel[1], pixel[2]))
                    }
                } else {
                    for index in range { dark[index] = pixels[index * channels] }
                }
            }
            MinFilter.apply(dark, width: width, height: height, radius: patchRadius, parallelism: parallelism)
        }
        // 2. Atmospheric light.
        let (light, lightIndex) = atmosphericLight(dark: dark)
        // 3. Raw transmission 1 − ω · dark(I / A), and the gray guide.
        var transmission = [Float](hugePagesCount: count) { _ in }
        var guide = [Float](hugePagesCount: count) { _ in }
        let inverseLight = light.map { Float(1 / max($0, 1e-6) / 255) }
        let omega = Float(parameters.omega)
        transmission.withUnsafeMutableBufferPointer { transmission in
            guide.withUnsafeMutableBufferPointer { guide in
                let (transmission, guide) = (transmission.baseAddress!, guide.baseAddress!)
                forEachRange { range, pixels in
                    if colorChannels == 3 {
                        let (ir, ig, ib) = (inverseLight[0], inverseLight[1], inverseLight[2])
                        for index in range {
                            let pixel = pixels + index * channels
                            let (r, g, b) = (Float(pixel[0]), Float(pixel[1]), Float(pixel[2]))
                            transmission[index] = min(r * ir, min(g * ig, b * ib))
                            // cvtColor's float weights, on values scaled to 0…1.
                            guide[index] = (0.299 * r + 0.587 * g + 0.114 * b) * (1 / 255)
                        }
                    } else {
                        let scale = inverseLight[0]
                        for index in range {
                            let value = Float(pixels[index * channels])
                            transmission[index] = value * scale
                            guide[index] = value * (1 / 255)
                        }
                    }
                }
            }
            MinFilter.apply(
                transmission.baseAddress!, width: width, height: height, radius: patchRadius, parallelism: parallelism)
            let raw = transmission.baseAddress!
            parallelism.forEachRange(count, grain: 65_536) { range in
                for index in range { raw[index] = 1 - omega * raw[index] }
            }
        }
        // 4. Refine t with the guided filter, and 5. recover the scene radiance from each refined row as it
        // comes (no plane for the refined transmission).
        let filter = GuidedFilter(radius: parameters.radius, eps: parameters.eps, subsampling: parameters.subsampling)
        let lightLevels = light.map { Float($0 * 255) }
        // light[j % channels] for every byte of a chunk, made once for all rows (images without alpha).
        let pattern =
            channels == colorChannels ? (0..<Self.recoveryChunk * channels).map { lightLevels[$0 % channels] } : []
        let output = PixelBuffer(width: width, height: height, layout: image.layout) { output in
            image.pixels.withUnsafeBufferPointer { input in
                filter.filter(
                    guide: guide, input: transmission, width: width, height: height, parallelism: parallelism
                ) { y, refined in
                    recover(
                        row: y, transmission: refined, input: input.baseAddress!, output: output, levels: lightLevels,
                        pattern: pattern)
                }
            }
        }
        let report = DehazeReport(
            atmosphericLight: light, atmosphericLightPixel: (lightIndex % width, lightIndex / width))
        return (output, report)
    }

    /// A from the brightest 0.1 % of the dark channel: among those pixels (ordered by dark value, then raster
    /// order, as a stable sort), the one with the largest sum of channels.
    private func atmosphericLight(dark: [UInt8]) -> (light: [Double], index: Int) {
        let count = dark.count
        let wanted = max(1, count / 1000)
        let histogram = dark.withUnsafeBufferPointer { levelCounts($0.baseAddress!, count: count, stride: 1) }
        var level = 255
        var above = 0
        while above + histogram[level] < wanted {
            above += histogram[level]
            level -= 1
        }
        var takeAtLevel = wanted - above
        var best = (sum: -1, dark: -1, index: 0)
        let channels = image.channels
        image.pixels.withUnsafeBufferPointer { pixels in
            dark.withUnsafeBufferPointer { dark in
                // Sixteen dark values at a time are skipped while all are below the level (nearly all are).
                let threshold = SIMD16<UInt8>(repeating: UInt8(level))
                var index = 0
                while index < count {
                    if index + 16 <= count, index & 15 == 0 {
                        let chunk = UnsafeRawPointer(dark.baseAddress! + index).loadUnaligned(as: SIMD16<UInt8>.self)
                        if !any(chunk .>= threshold) {
                            index += 16
                            continue
                        }
                    }
                    defer { index += 1 }
                    let value = Int(dark[index])
                    if value < level { continue }
                    if value == level {
                        if takeAtLevel == 0 { continue }
                        takeAtLevel -= 1
                    }
                    var sum = 0
                    for c in 0..<colorChannels { sum += Int(pixels[index * channels + c]) }
                    if sum > best.sum || (sum == best.sum && value > best.dark) { best = (sum, value, index) }
                }
            }
        }
        let light = (0..<colorChannels).map { Double(image.pixels[best.index * channels + $0]) / 255 }
        return (light, best.index)
    }

    /// J = (I − A) / max(t, t0) + A for row `y`, with the light levels A in 0…255; alpha is copied.
    private func recover(
        row y: Int, transmission: UnsafePointer<Float>, input: UnsafePointer<UInt8>,
        output: UnsafeMutablePointer<UInt8>, levels: [Float], pattern: [Float]
    ) {
        let (width, channels, colorChannels) = (image.width, image.channels, self.colorChannels)
        let t0 = Float(parameters.t0)
        let (input, output) = (input + y * width * channels, output + y * width * channels)
        if channels == colorChannels {
            Self.recoverOpaque(
                input, into: output, transmission: transmission, count: width, channels: channels, pattern: pattern,
                t0: t0)
        } else if colorChannels == 3 {
            let (ar, ag, ab) = (levels[0], levels[1], levels[2])
            for x in 0..<width {
                let scale = 1 / max(transmission[x], t0)
                let offset = x * channels
                output[offset] = clampToByte((Float(input[offset]) - ar) * scale + ar)
                output[offset + 1] = clampToByte((Float(input[offset + 1]) - ag) * scale + ag)
                output[offset + 2] = clampToByte((Float(input[offset + 2]) - ab) * scale + ab)
                output[offset + 3] = input[offset + 3]
            }
        } else {
            let a = levels[0]
            for x in 0..<width {
                let offset = x * channels
                let scale = 1 / max(transmission[x], t0)
                output[offset] = clampToByte((Float(input[offset]) - a) * scale + a)
                output[offset + 1] = input[offset + 1]
            }
        }
    }

    /// Pixels per step of `recoverOpaque`.
    private static let recoveryChunk = 1024

    /// `recover` for images without alpha, a chunk of pixels at a time so that each step vectorises: the
    /// per-pixel scales 1 / max(t, t0), spread to their channels, then every byte as one expression (the same
    /// arithmetic as the per-pixel loop, so the same bytes) and a rounded store sixteen at a time.
    private static func recoverOpaque(
        _ input: UnsafePointer<UInt8>, into output: UnsafeMutablePointer<UInt8>, transmission: UnsafePointer<Float>,
        count pixels: Int, channels: Int, pattern: [Float], t0: Float
    ) {
        let chunk = min(recoveryChunk, pixels)
        let reciprocals = UnsafeMutablePointer<Float>.allocate(capacity: chunk)
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: chunk * channels)
        let values = UnsafeMutablePointer<Float>.allocate(capacity: chunk * channels)
        defer {
            reciprocals.deallocate()
            scales.deallocate()
            values.deallocate()
        }
        var start = 0
        while start < pixels {
            let count = min(chunk, pixels - start)
            let t = transmission + start
            for i in 0..<count { reciprocals[i] = 1 / max(t[i], t0) }
            let spread: UnsafeMutablePointer<Float>
            if channels == 3 {
                for i in 0..<count {
                    let scale = reciprocals[i]
                    (scales[3 * i], scales[3 * i + 1], scales[3 * i + 2]) = (scale, scale, scale)
                }
                spread = scales
            } else {
                spread = reciprocals
            }
            let bytes = count * channels
            let source = input + start * channels
            pattern.withUnsafeBufferPointer { pattern in
                let pattern = pattern.baseAddress!
                for j in 0..<bytes { values[j] = (Float(source[j]) - pattern[j]) * spread[j] + pattern[j] }
            }
            storeRounded(values, to: output + start * channels, count: bytes)
            start += count
        }
    }

    /// Calls `body` with disjoint ranges of pixel indices and the pixel bytes, in parallel bands.
    private func forEachRange(_ body: (Range<Int>, UnsafePointer<UInt8>) -> Void) {
        image.pixels.withUnsafeBufferPointer { pixels in
            let base = pixels.baseAddress!
            parallelism.forEachRange(image.pixelCount, grain: 65_536) { range in body(range, base) }
        }
    }
}
