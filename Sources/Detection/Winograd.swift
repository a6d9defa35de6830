import COpenBLAS
import Imaging

/// Winograd's minimal filtering F(2×2, 3×3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural
/// Networks", 2016): each 2×2 block of outputs comes from a 4×4 input tile with 16 multiplications per
/// channel instead of 36. With U = G g Gᵀ (filter), V = Bᵀ d B (input tile) and Y = Aᵀ (U ⊙ V) A, the 16
/// element-wise products summed over channels are 16 matrix products, one per tile position, done by
/// SGEMM:
///
///     Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
///     Aᵀ = [1 1 1 0; 0 1 −1 −1]
///
/// Filters are transformed once, at load, in groups of `filterGroup` (16 matrices of group × channels
/// each); workers take whole groups.
enum Winograd {
    /// Filters transformed and multiplied at a time by one worker.
    static let filterGroup = 64

    /// 2×2 output tiles covering `out`.
    static func tiles(_ out: DarknetConfig.Shape) -> Int { ((out.height + 1) / 2) * ((out.width + 1) / 2) }

    /// V[p][c][t] = (Bᵀ d B)[p] for the 4×4 tile t of channel c (zero outside the input, padding 1), for
    /// `channels`; V holds 16 matrices of channels × tiles.
    static func transformInput(
        _ input: UnsafePointer<Float>, shape: DarknetConfig.Shape, channels: Range<Int>,
        into v: UnsafeMutablePointer<Float>
    ) {
        let (height, width) = (shape.height, shape.width)
        let tileColumns = (width + 1) / 2
        let tiles = ((height + 1) / 2) * tileColumns
        let matrix = shape.channels * tiles
        for channel in channels {
            let plane = input + channel * height * width
            for tile in 0..<tiles {
                let top = (tile / tileColumns) * 2 - 1
                let left = (tile % tileColumns) * 2 - 1
                func line(_ r: Int) -> SIMD4<Float> {
                    let y = top + r
                    guard y >= 0 && y < height else { return .zero }
                    let row = plane + y * width
                    if left >= 0 && left + 3 < width {
                        return SIMD4(row[left], row[left + 1], row[left + 2], row[left + 3])
                    }
                    var values = SIMD4<Float>.zero
                    for c in 0..<4 where left + c >= 0 && left + c < width { values[c] = row[left + c] }
                    return values
                }
                let (p0, p1, p2, p3) = (line(0), line(1), line(2), line(3))
                // Bᵀ d combines rows; (Bᵀ d) B combines the columns of each resulting row the same way.
                let rows = (p0 - p2, p1 + p2, p2 - p1, p1 - p3)
                func store(_ r: Int, _ row: SIMD4<Float>) {
                    let at = v + (r * 4) * matrix + channel * tiles + tile
                    at[0] = row[0] - row[2]
                    at[matrix] = row[1] + row[2]
                    at[2 * matrix] = row[2] - row[1]
                    at[3 * matrix] = row[1] - row[3]
                }
                store(0, rows.0)
                store(1, rows.1)
                store(2, rows.2)
                store(3, rows.3)
            }
        }
    }

    /// Every filter of a layer transformed, group after group: the group starting at filter s begins at
    /// 16 · s · channels.
    static func transformFilters(_ weights: [Float], channels: Int) -> [Float] {
        let filters = weights.count / (9 * channels)
        return [Float](unsafeUninitializedCapacity: 16 * filters * channels) { u, count in
            weights.withUnsafeBufferPointer { weights in
                for start in stride(from: 0, to: filters, by: filterGroup) {
                    transformFilters(
                        weights.baseAddress!, channels: channels, filters: start..<min(filters, start + filterGroup),
                        into: u.baseAddress! + 16 * start * channels)
                }
            }
            count = 16 * filters * channels
        }
    }

    /// U[p][f][c] = (G g Gᵀ)[p] for `filters` (row f − filters.lowerBound) and every channel.
    static func transformFilters(
        _ weights: UnsafePointer<Float>, channels: Int, filters: Range<Int>, into u: UnsafeMutablePointer<Float>
    ) {
        let matrix = filters.count * channels
        for filter in filters {
            for channel in 0..<channels {
                let g = weights + (filter * channels + channel) * 9
                // G g combines the rows (as three-wide vectors); (G g) Gᵀ combines each row's columns.
                let (a, b, e) = (SIMD3(g[0], g[1], g[2]), SIMD3(g[3], g[4], g[5]), SIMD3(g[6], g[7], g[8]))
                let rows = (a, 0.5 * (a + b + e), 0.5 * (a - b + e), e)
                let at = u + (filter - filters.lowerBound) * channels + channel
                func store(_ r: Int, _ row: SIMD3<Float>) {
                    at[(r * 4) * matrix] = row[0]
                    at[(r * 4 + 1) * matrix] = 0.5 * (row[0] + row[1] + row[2])
                    at[(r * 4 + 2) * matrix] = 0.5 * (row[0] - row[1] + row[2])
                    at[(r * 4 + 3) * matrix] = row[2]
                }
                store(0, rows.0)
                store(1, rows.1)
                store(2, rows.2)
                store(3, rows.3)
            }
        }
    }

    /// Y = Aᵀ m A per tile for `count` filters of the products `m` (16 matrices of count × tiles), plus
    /// bias and leaky ReLU, into the output planes of those filters.
    static func transformOutput(
        _ m: UnsafePointer<Float>, count: Int, out: DarknetConfig.Shape, biases: UnsafePointer<Float>, leaky: Bool,
        into output: UnsafeMutablePointer<Float>
    ) {
        let tileColumns = (out.width + 1) / 2
        let tiles = ((out.height + 1) / 2) * tileColumns
        let matrix = count * tiles
        for filter in 0..<count {
            let bias = biases[filter]
            let plane = output + filter * out.height * out.width
            for tile in 0..<tiles {
                let at = m + filter * tiles + tile
                // Aᵀ m: two rows of four.
                var top = SIMD4<Float>.zero
                var bottom = SIMD4<Float>.zero
                for c in 0..<4 {
                    let (a, b, e, f) = (
                        at[c * matrix], at[(4 + c) * matrix], at[(8 + c) * matrix], at[(12 + c) * matrix]
                    )
                    top[c] = a + b + e
                    bottom[c] = b - e - f
                }
                var y =
                    SIMD4<Float>(
                        top[0] + top[1] + top[2], top[1] - top[2] - top[3], bottom[0] + bottom[1] + bottom[2],
                        bottom[1] - bottom[2] - bottom[3]) + bias
                if leaky { y = pointwiseMax(y, 0.1 * y) }
                let oy = (tile / tileColumns) * 2
                let ox = (tile % tileColumns) * 2
                plane[oy * out.width + ox] = y[0]
                if ox + 1 < out.width { plane[oy * out.width + ox + 1] = y[1] }
                if oy + 1 < out.height {
                    plane[(oy + 1) * out.width + ox] = y[2]
                    if ox + 1 < out.width { plane[(oy + 1) * out.width + ox + 1] = y[3] }
                }
            }
        }
    }
}

extension Network {
    /// A 3×3, stride-1, pad-1 convolution by F(2×2, 3×3): the input transformed (channels split across
    /// workers), then each worker multiplies its groups of filters and writes their outputs.
    func winograd(
        _ layer: Convolution, filters transformed: [Float], output: UnsafeMutablePointer<Float>,
        in workspace: Workspace, parallelism: Parallelism
    ) {
        let channels = layer.shape.channels
        let tiles = Winograd.tiles(layer.out)
        let v = workspace.columns
        parallelism.forEachWorker(channels) { worker, workers in
            Winograd.transformInput(
                layer.source, shape: layer.shape, channels: Self.share(channels, worker, workers), into: v)
        }
        transformed.withUnsafeBufferPointer { filters in
            layer.weights.biases.withUnsafeBufferPointer { biases in
                let groups = (layer.filters + Winograd.filterGroup - 1) / Winograd.filterGroup
                parallelism.forEachWorker(groups) { worker, workers in
                    let mine = Self.share(layer.filters, worker, workers, multiple: Winograd.filterGroup)
                    let m = workspace.scratch(worker).columns
                    for start in stride(from: mine.lowerBound, to: mine.upperBound, by: Winograd.filterGroup) {
                        let group = start..<min(mine.upperBound, start + Winograd.filterGroup)
                        let u = filters.baseAddress! + 16 * start * channels
                        for position in 0..<16 {
                            cblas_sgemm(
                                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(group.count), Int32(tiles),
                                Int32(channels), 1, u + position * group.count * channels, Int32(channels),
                                v + position * channels * tiles, Int32(tiles), 0, m + position * group.count * tiles,
                                Int32(tiles))
                        }
                        Winograd.transformOutput(
                            m, count: group.count, out: layer.out, biases: biases.baseAddress! + group.lowerBound,
                            leaky: layer.leaky, into: output + group.lowerBound * layer.out.height * layer.out.width)
                    }
                }
            }
        }
    }
}
