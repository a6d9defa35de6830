/// A value a min filter can pad with: larger than or equal to every real sample.
protocol MinFilterable: Comparable {
    static var padding: Self { get }
}

extension UInt8: MinFilterable { static var padding: UInt8 { .max } }
extension Float: MinFilterable { static var padding: Float { .infinity } }

/// The van Herk / Gil-Werman minimum filter over a (2·radius + 1)² square: three comparisons per pixel
/// and axis whatever the radius. The window is clipped at the borders (pixels outside are ignored).
enum MinFilter {
    // Specialised here for the two sample types: callers in other files only see the generic entry point
    // when the module is built without whole-module optimisation (the debug builds tests run on).
    @_specialize(where T == UInt8)
    @_specialize(where T == Float)
    static func apply<T: MinFilterable>(
        _ plane: UnsafeMutablePointer<T>, width: Int, height: Int, radius: Int, parallelism: Parallelism
    ) {
        guard radius > 0 else { return }
        let size = 2 * radius + 1
        // Rows: each one independently.
        parallelism.forEachRange(height, grain: 16) { rows in
            let padded = paddedLength(width, radius: radius)
            let scratch = UnsafeMutablePointer<T>.allocate(capacity: 3 * padded * 4)
            defer { scratch.deallocate() }
            var y = rows.lowerBound
            while y + 4 <= rows.upperBound {
                filterFourLines(
                    plane + y * width, width: width, radius: radius, size: size, scratch: scratch, padded: padded)
                y += 4
            }
            for y in y..<rows.upperBound {
                filterLine(
                    plane + y * width, stride: 1, count: width, radius: radius, size: size,
                    scratch: scratch, padded: padded)
            }
        }
        // Columns: strips of neighbouring columns, so each step touches consecutive memory.
        let strip = 64
        parallelism.forEachRange((width + strip - 1) / strip, grain: 1) { strips in
            let padded = paddedLength(height, radius: radius)
            let scratch = UnsafeMutablePointer<T>.allocate(capacity: 3 * padded * strip)
            defer { scratch.deallocate() }
            for index in strips {
                let x0 = index * strip
                let columns = min(strip, width - x0)
                filterColumns(
                    plane + x0, width: width, columns: columns, height: height, radius: radius, size: size,
                    scratch: scratch, padded: padded)
            }
        }
    }

    private static func paddedLength(_ count: Int, radius: Int) -> Int {
        let size = 2 * radius + 1
        return (count + 2 * radius + size - 1) / size * size
    }

    /// One line: g = running minimum from each block's start, h = from each block's end; the window
    /// [x, x + size) in padded coordinates has minimum min(h[x], g[x + size − 1]).
    private static func filterLine<T: MinFilterable>(
        _ line: UnsafeMutablePointer<T>, stride: Int, count: Int, radius: Int, size: Int,
        scratch: UnsafeMutablePointer<T>, padded: Int
    ) {
        let input = scratch
        let g = scratch + padded
        let h = scratch + 2 * padded
        input.update(repeating: T.padding, count: padded)
        if stride == 1 {
            (input + radius).update(from: line, count: count)
        } else {
            for x in 0..<count { input[radius + x] = line[x * stride] }
        }
        // Block by block, so no index needs a division.
        var block = 0
        while block < padded {
            g[block] = input[block]
            for i in (block + 1)..<(block + size) { g[i] = min(g[i - 1], input[i]) }
            let last = block + size - 1
            h[last] = input[last]
            var i = last - 1
            while i >= block {
                h[i] = min(h[i + 1], input[i])
                i -= 1
            }
            block += size
        }
        for x in 0..<count { line[x * stride] = min(h[x], g[x + size - 1]) }
    }

    /// `filterLine` on four consecutive rows at once, their samples interleaved (x-major, four lanes): the
    /// running minima of one row are chains of dependent comparisons that leave the core waiting between
    /// steps, four independent chains overlap (and Float lanes become one vector).
    private static func filterFourLines<T: MinFilterable>(
        _ first: UnsafeMutablePointer<T>, width: Int, radius: Int, size: Int,
        scratch: UnsafeMutablePointer<T>, padded: Int
    ) {
        let input = scratch
        let g = scratch + 4 * padded
        let h = scratch + 8 * padded
        input.update(repeating: T.padding, count: 4 * radius)
        (input + 4 * (radius + width)).update(repeating: T.padding, count: 4 * (padded - radius - width))
        let (line0, line1, line2, line3) = (first, first + width, first + 2 * width, first + 3 * width)
        for x in 0..<width {
            let slot = input + 4 * (radius + x)
            (slot[0], slot[1], slot[2], slot[3]) = (line0[x], line1[x], line2[x], line3[x])
        }
        var block = 0
        while block < padded {
            for k in 0..<4 { g[4 * block + k] = input[4 * block + k] }
            for i in (block + 1)..<(block + size) {
                for k in 0..<4 { g[4 * i + k] = min(g[4 * (i - 1) + k], input[4 * i + k]) }
            }
            let last = block + size - 1
            for k in 0..<4 { h[4 * last + k] = input[4 * last + k] }
            var i = last - 1
            while i >= block {
                for k in 0..<4 { h[4 * i + k] = min(h[4 * (i + 1) + k], input[4 * i + k]) }
                i -= 1
            }
            block += size
        }
        for x in 0..<width {
            let (left, right) = (h + 4 * x, g + 4 * (x + size - 1))
            (line0[x], line1[x], line2[x], line3[x]) = (
                min(left[0], right[0]), min(left[1], right[1]), min(left[2], right[2]), min(left[3], right[3])
            )
        }
    }

    /// The same along columns, `columns` at a time: each step is a vector of neighbouring columns.
    private static func filterColumns<T: MinFilterable>(
        _ base: UnsafeMutablePointer<T>, width: Int, columns: Int, height: Int, radius: Int, size: Int,
        scratch: UnsafeMutablePointer<T>, padded: Int
    ) {
        let input = scratch
        let g = scratch + padded * columns
        let h = scratch + 2 * padded * columns
        for i in 0..<padded {
            let source = i - radius
            let row = input + i * columns
            if source >= 0 && source < height {
                row.update(from: base + source * width, count: columns)
            } else {
                row.update(repeating: T.padding, count: columns)
            }
        }
        for i in 0..<padded {
            let row = input + i * columns
            let out = g + i * columns
            if i % size == 0 {
                out.update(from: row, count: columns)
            } else {
                let previous = out - columns
                for c in 0..<columns { out[c] = min(previous[c], row[c]) }
            }
        }
        var i = padded - 1
        while i >= 0 {
            let row = input + i * columns
            let out = h + i * columns
            if i % size == size - 1 {
                out.update(from: row, count: columns)
            } else {
                let next = out + columns
                for c in 0..<columns { out[c] = min(next[c], row[c]) }
            }
            i -= 1
        }
        for y in 0..<height {
            let out = base + y * width
            let left = h + y * columns
            let right = g + (y + size - 1) * columns
            for c in 0..<columns { out[c] = min(left[c], right[c]) }
        }
    }
}
