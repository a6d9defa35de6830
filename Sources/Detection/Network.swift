import COpenBLAS
import Foundation
import Imaging
import Synchronization

/// YOLOv3-tiny's forward pass: convolutions as im2col + OpenBLAS SGEMM (batch norm folded at load) with
/// bias and leaky ReLU 0.1 in one pass, darknet max-pooling, route, nearest upsampling.
///
/// Buffers are reused: a pass borrows a `Workspace` (every buffer it needs, allocated once) from a small
/// pool and gives it back, so one network serves many tasks at once without allocating per call. Memory
/// stays small because a convolution followed by a 2×2 max-pool is computed a band of rows at a time and
/// pooled at once — its full-size output never exists — and im2col unfolds one band at a time.
///
/// Threads are ours, not OpenBLAS's (which runs single-threaded in the caller): early layers (many pixels,
/// few filters) split their bands across workers; late layers (few pixels, many filters) unfold once and
/// split the filters.
public struct Network: Sendable {
    public let config: DarknetConfig
    /// The weights as the pass uses them: a layer run by Winograd keeps only its transformed filters
    /// (`transformed`), so the model is resident once.
    public let weights: DarknetWeights
    private let plan: Plan
    private let pool: WorkspacePool
    /// Winograd layers' filters, transformed once at load (Winograd.transformFilters), by layer.
    let transformed: [Int: [Float]]

    public init(config: DarknetConfig, weights: DarknetWeights) {
        // Every SGEMM runs in the calling thread; parallelism is planned per layer here.
        openblas_set_num_threads(1)
        self.config = config
        plan = Plan(config: config, keeping: [])
        pool = WorkspacePool()
        var kept = weights
        var transformed: [Int: [Float]] = [:]
        for step in plan.steps where step.split == .winograd {
            transformed[step.layer] = Winograd.transformFilters(
                weights.convolutions[step.layer]!.weights, channels: config.inputChannels(of: step.layer))
            kept.convolutions[step.layer]!.weights = []
        }
        self.weights = kept
        self.transformed = transformed
    }

    /// Workspaces waiting for the next pass, by identity (for tests of their reuse).
    var idleWorkspaces: [ObjectIdentifier] { pool.idle.withLock { $0.map(ObjectIdentifier.init) } }

    /// Bytes one workspace holds for `threads` workers: what a forward pass needs besides the weights.
    public func workspaceBytes(threads: Int) -> Int { plan.floats(workers: threads) * MemoryLayout<Float>.size }

    /// Bytes of the weights and biases, and of the filters kept transformed for Winograd layers.
    public var weightBytes: Int {
        let floats = weights.convolutions.values.reduce(0) { $0 + $1.weights.count + $1.biases.count }
        return (floats + transformed.values.reduce(0) { $0 + $1.count }) * MemoryLayout<Float>.size
    }

    /// Runs the network on a CHW float input of the cfg's size and hands `body` the outputs of the yolo
    /// layers (by layer index), valid only during the call.
    public func withHeads<R>(
        _ input: [Float], parallelism: Parallelism, _ body: ([Int: UnsafeBufferPointer<Float>]) -> R
    ) -> R {
        let workspace = pool.take(plan: plan, workers: parallelism.threads)
        defer { pool.give(workspace) }
        run(input, in: workspace, parallelism: parallelism)
        var heads: [Int: UnsafeBufferPointer<Float>] = [:]
        for (index, layer) in config.layers.enumerated() {
            if case .yolo = layer { heads[index] = workspace.output(index) }
        }
        return body(heads)
    }

    /// Runs the network and returns copies of the outputs of `layers` (CHW), for checks layer by layer.
    /// Uses a workspace of its own that keeps those layers whole.
    public func forward(_ input: [Float], keeping layers: Set<Int>, parallelism: Parallelism = .single) -> [Int:
        [Float]]
    {
        let workspace = Workspace(plan: Plan(config: config, keeping: layers), workers: parallelism.threads)
        run(input, in: workspace, parallelism: parallelism)
        return Dictionary(uniqueKeysWithValues: layers.map { ($0, Array(workspace.output($0))) })
    }

    private func run(_ input: [Float], in workspace: Workspace, parallelism: Parallelism) {
        precondition(input.count == config.inputChannels * config.inputHeight * config.inputWidth, "input size")
        input.withUnsafeBufferPointer { input in
            for step in workspace.plan.steps {
                let source =
                    step.layer == 0 ? input.baseAddress! : UnsafePointer(workspace.output(step.layer - 1).baseAddress!)
                let shape = step.layer == 0 ? workspace.plan.inputShape : config.shapes[step.layer - 1]
                switch config.layers[step.layer] {
                case .convolutional(let filters, let size, let stride, let pad, _, let activation):
                    let convolution = Convolution(
                        source: source, shape: shape, out: config.shapes[step.layer], filters: filters, size: size,
                        stride: stride, pad: pad, leaky: activation == .leaky,
                        weights: weights.convolutions[step.layer]!)
                    convolve(convolution, step: step, in: workspace, parallelism: parallelism)
                case .maxpool(let size, let stride):
                    maxpool(
                        source, shape: shape, size: size, stride: stride, out: config.shapes[step.layer],
                        into: workspace.buffer(step.layer), parallelism: parallelism)
                case .route(let layers):
                    var target = workspace.buffer(step.layer)
                    for layer in layers {
                        let part = workspace.output(layer)
                        target.update(from: part.baseAddress!, count: part.count)
                        target += part.count
                    }
                case .upsample(let stride):
                    upsample(source, shape: shape, stride: stride, into: workspace.buffer(step.layer))
                case .yolo:
                    break
                }
            }
        }
    }

    /// One convolutional layer's operands.
    struct Convolution {
        let source: UnsafePointer<Float>
        let shape: DarknetConfig.Shape
        let out: DarknetConfig.Shape
        let filters: Int
        let size: Int
        let stride: Int
        let pad: Int
        let leaky: Bool
        let weights: DarknetWeights.Convolution

        /// Rows of the unfolded input: input channels × window.
        var depth: Int { shape.channels * size * size }
        /// A 1×1, stride-1 convolution multiplies the input as it is, without unfolding.
        var isPointwise: Bool { Self.isPointwise(size: size, stride: stride, pad: pad) }

        static func isPointwise(size: Int, stride: Int, pad: Int) -> Bool { size == 1 && stride == 1 && pad == 0 }
    }

    private func convolve(_ layer: Convolution, step: Plan.Step, in workspace: Workspace, parallelism: Parallelism) {
        let plane = layer.out.height * layer.out.width
        let bands = (layer.out.height + step.bandRows - 1) / step.bandRows
        layer.weights.weights.withUnsafeBufferPointer { weights in
            layer.weights.biases.withUnsafeBufferPointer { biases in
                switch step.split {
                case .bands:
                    // Each worker unfolds, multiplies and pools whole bands of output rows with its own scratch.
                    parallelism.forEachWorker(bands) { worker, workers in
                        let scratch = workspace.scratch(worker)
                        for band in stride(from: worker, to: bands, by: workers) {
                            let firstRow = band * step.bandRows
                            let rows = min(step.bandRows, layer.out.height - firstRow)
                            let columns = rows * layer.out.width
                            let (matrix, matrixStride) = unfolded(
                                layer, rows: firstRow..<firstRow + rows, into: scratch.columns, parallelism: .single)
                            // The band's result goes straight into the layer's output when it is kept,
                            // else into scratch for pooling.
                            let (result, resultStride) =
                                step.keepsOutput
                                ? (workspace.buffer(step.layer) + firstRow * layer.out.width, plane)
                                : (scratch.result, columns)
                            multiply(
                                layer, filters: 0..<layer.filters, weights: weights, biases: biases, matrix: matrix,
                                matrixStride: matrixStride, columns: columns, result: result, resultStride: resultStride
                            )
                            if let pooled = step.pooledInto {
                                Self.poolHalving(
                                    result, stride: resultStride, rows: rows, width: layer.out.width,
                                    planes: layer.filters,
                                    into: workspace.buffer(pooled) + firstRow / 2 * (layer.out.width / 2),
                                    planeStride: layer.out.height / 2 * (layer.out.width / 2))
                            }
                        }
                    }
                case .winograd:
                    winograd(
                        layer, filters: transformed[step.layer]!, output: workspace.buffer(step.layer), in: workspace,
                        parallelism: parallelism)
                case .filters:
                    // Unfold a band once (channels split across workers), then each worker multiplies its own
                    // filters.
                    for band in 0..<bands {
                        let firstRow = band * step.bandRows
                        let rows = min(step.bandRows, layer.out.height - firstRow)
                        let columns = rows * layer.out.width
                        let (matrix, matrixStride) = unfolded(
                            layer, rows: firstRow..<firstRow + rows, into: workspace.columns, parallelism: parallelism)
                        parallelism.forEachWorker(layer.filters / 32) {
                            worker, workers in
                            let filters = Self.share(layer.filters, worker, workers, multiple: 8)
                            multiply(
                                layer, filters: filters, weights: weights, biases: biases, matrix: matrix,
                                matrixStride: matrixStride, columns: columns,
                                result: workspace.buffer(step.layer) + firstRow * layer.out.width, resultStride: plane)
                        }
                    }
                }
            }
        }
    }

    /// The unfolded input for output `rows` (its row stride second): the input itself for a pointwise
    /// convolution, else im2col into `scratch`, its channels split across `parallelism`'s workers.
    private func unfolded(
        _ layer: Convolution, rows: Range<Int>, into scratch: UnsafeMutablePointer<Float>, parallelism: Parallelism
    ) -> (UnsafePointer<Float>, Int) {
        if layer.isPointwise {
            return (layer.source + rows.lowerBound * layer.out.width, layer.out.height * layer.out.width)
        }
        parallelism.forEachWorker(layer.shape.channels) { worker, workers in
            Self.im2col(layer, rows: rows, channels: Self.share(layer.shape.channels, worker, workers), into: scratch)
        }
        return (UnsafePointer(scratch), rows.count * layer.out.width)
    }

    /// result[f, column] = leaky(Σ weights[f, k] · matrix[k, column] + bias[f]) for `filters`; rows of
    /// `result` are `resultStride` apart and start at filter 0.
    private func multiply(
        _ layer: Convolution, filters: Range<Int>, weights: UnsafeBufferPointer<Float>,
        biases: UnsafeBufferPointer<Float>, matrix: UnsafePointer<Float>, matrixStride: Int, columns: Int,
        result: UnsafeMutablePointer<Float>, resultStride: Int
    ) {
        guard !filters.isEmpty else { return }
        let depth = layer.depth
        let first = result + filters.lowerBound * resultStride
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(filters.count), Int32(columns), Int32(depth), 1,
            weights.baseAddress! + filters.lowerBound * depth, Int32(depth), matrix, Int32(matrixStride), 0, first,
            Int32(resultStride))
        for filter in filters {
            let bias = biases[filter]
            let row = result + filter * resultStride
            if layer.leaky {
                // max(v, 0.1 v) is leaky ReLU 0.1, and vectorizes.
                for i in 0..<columns {
                    let value = row[i] + bias
                    row[i] = max(value, 0.1 * value)
                }
            } else {
                for i in 0..<columns { row[i] += bias }
            }
        }
    }

    /// Rows (channel, ky, kx) × columns (output y in `rows`, x) for `channels`, zeros where the window
    /// leaves the input; a row holds `rows.count × out.width` values.
    private static func im2col(
        _ layer: Convolution, rows: Range<Int>, channels: Range<Int>, into unfolded: UnsafeMutablePointer<Float>
    ) {
        let (shape, out, size, stride, pad) = (layer.shape, layer.out, layer.size, layer.stride, layer.pad)
        let columns = rows.count * out.width
        for channel in channels {
            let plane = layer.source + channel * shape.height * shape.width
            for ky in 0..<size {
                for kx in 0..<size {
                    var target = unfolded + ((channel * size + ky) * size + kx) * columns
                    // Output columns whose window tap (ky, kx) lands inside the input's width.
                    let low = min(out.width, max(0, (pad - kx + stride - 1) / stride))
                    let high = max(low, min(out.width, (shape.width - 1 + pad - kx) / stride + 1))
                    for oy in rows {
                        let iy = oy * stride + ky - pad
                        if iy < 0 || iy >= shape.height {
                            target.update(repeating: 0, count: out.width)
                        } else {
                            let line = plane + iy * shape.width
                            target.update(repeating: 0, count: low)
                            if stride == 1 {
                                target.advanced(by: low).update(from: line + low + kx - pad, count: high - low)
                            } else {
                                for ox in low..<high { target[ox] = line[ox * stride + kx - pad] }
                            }
                            target.advanced(by: high).update(repeating: 0, count: out.width - high)
                        }
                        target += out.width
                    }
                }
            }
        }
    }

    /// A 2×2, stride-2 max-pool of `rows` (even) rows of `planes` planes, each `width` wide (even) with
    /// planes `stride` apart, into planes `planeStride` apart.
    private static func poolHalving(
        _ source: UnsafePointer<Float>, stride: Int, rows: Int, width: Int, planes: Int,
        into target: UnsafeMutablePointer<Float>, planeStride: Int
    ) {
        let half = width / 2
        for plane in 0..<planes {
            for y in 0..<rows / 2 {
                let top = source + plane * stride + 2 * y * width
                let bottom = top + width
                let out = target + plane * planeStride + y * half
                for x in 0..<half {
                    out[x] = max(max(top[2 * x], top[2 * x + 1]), max(bottom[2 * x], bottom[2 * x + 1]))
                }
            }
        }
    }

    /// Darknet's max-pool: windows start at x · stride, and what falls outside the input is ignored.
    private func maxpool(
        _ input: UnsafePointer<Float>, shape: DarknetConfig.Shape, size: Int, stride: Int, out: DarknetConfig.Shape,
        into output: UnsafeMutablePointer<Float>, parallelism: Parallelism
    ) {
        if size == 2, stride == 2, shape.height % 2 == 0, shape.width % 2 == 0 {
            parallelism.forEachWorker(shape.channels) { worker, workers in
                let channels = Self.share(shape.channels, worker, workers)
                Self.poolHalving(
                    input + channels.lowerBound * shape.height * shape.width, stride: shape.height * shape.width,
                    rows: shape.height, width: shape.width, planes: channels.count,
                    into: output + channels.lowerBound * out.height * out.width, planeStride: out.height * out.width)
            }
            return
        }
        for channel in 0..<shape.channels {
            let plane = input + channel * shape.height * shape.width
            let target = output + channel * out.height * out.width
            for oy in 0..<out.height {
                let rows = min(size, shape.height - oy * stride)
                for ox in 0..<out.width {
                    let columns = min(size, shape.width - ox * stride)
                    var best = -Float.infinity
                    for ky in 0..<rows {
                        let line = plane + (oy * stride + ky) * shape.width + ox * stride
                        for kx in 0..<columns { best = max(best, line[kx]) }
                    }
                    target[oy * out.width + ox] = best
                }
            }
        }
    }

    private func upsample(
        _ input: UnsafePointer<Float>, shape: DarknetConfig.Shape, stride: Int, into output: UnsafeMutablePointer<Float>
    ) {
        let width = shape.width * stride
        var target = output
        for channel in 0..<shape.channels {
            for y in 0..<shape.height * stride {
                let line = input + (channel * shape.height + y / stride) * shape.width
                for x in 0..<width { target[x] = line[x / stride] }
                target += width
            }
        }
    }

    /// Worker `worker`'s part of `0..<count` split `workers` ways, in multiples of `multiple`.
    static func share(_ count: Int, _ worker: Int, _ workers: Int, multiple: Int = 1) -> Range<Int> {
        let units = (count + multiple - 1) / multiple
        let start = min(count, units * worker / workers * multiple)
        let end = min(count, units * (worker + 1) / workers * multiple)
        return start..<end
    }
}

extension Network {
    /// How each layer runs and which outputs get a buffer of their own.
    struct Plan: Sendable {
        enum Split: Sendable, Equatable {
            /// Workers take bands of output rows.
            case bands
            /// Bands one after another; workers take groups of filters.
            case filters
            /// A 3×3, stride-1 convolution by Winograd's F(2×2, 3×3); workers take groups of filters.
            case winograd
        }

        struct Step: Sendable {
            var layer: Int
            var split: Split = .bands
            /// Output rows per band (even when pooled).
            var bandRows: Int = 1
            /// The output is kept whole (else only pooled from scratch).
            var keepsOutput = true
            /// The 2×2 max-pool layer computed band by band with this convolution.
            var pooledInto: Int?
        }

        /// Floats of unfolded input a band of a `.filters` layer may take (4 MiB); a worker's band in a
        /// `.bands` layer takes a quarter of it, about what stays in cache while SGEMM reads it.
        static let unfoldBudget = 1 << 20

        let inputShape: DarknetConfig.Shape
        var steps: [Step] = []
        /// Floats of each layer's own output buffer (0: none; its output lives in another's).
        var bufferFloats: [Int]
        /// The layer whose buffer holds each layer's output.
        var owner: [Int]
        /// Floats of the unfolded band shared by all workers (`.filters` layers).
        var sharedColumns = 0
        /// Floats of each worker's unfolded band and pooled result (`.bands` layers).
        var workerColumns = 0
        var workerResult = 0
        /// Floats of each worker's transformed filters and products (`.winograd` layers).
        var workerWinograd = 0
        /// Floats per worker.
        var workerFloats: Int { max(workerColumns + workerResult, workerWinograd) }

        init(config: DarknetConfig, keeping: Set<Int>) {
            inputShape = DarknetConfig.Shape(
                channels: config.inputChannels, height: config.inputHeight, width: config.inputWidth)
            let count = config.layers.count
            bufferFloats = config.shapes.map { $0.channels * $0.height * $0.width }
            owner = Array(0..<count)
            // Which layers read each layer's output (the next one, routes, and the heads).
            var readers = [[Int]](repeating: [], count: count)
            for (index, layer) in config.layers.enumerated() {
                if case .route(let sources) = layer {
                    for source in sources { readers[source].append(index) }
                } else if index > 0 {
                    readers[index - 1].append(index)
                }
            }
            var skip = Set<Int>()
            for (index, layer) in config.layers.enumerated() where !skip.contains(index) {
                switch layer {
                case .convolutional(let filters, let size, let stride, let pad, _, _):
                    let shape = index == 0 ? inputShape : config.shapes[index - 1]
                    let out = config.shapes[index]
                    let depth = shape.channels * size * size
                    var step = Step(layer: index)
                    let pointwise = Convolution.isPointwise(size: size, stride: stride, pad: pad)
                    let rowsInBudget = max(1, Self.unfoldBudget / 4 / max(1, depth * out.width))
                    if filters <= 128 {
                        step.split = .bands
                        step.bandRows = min(out.height, rowsInBudget)
                        // A 2×2 max-pool that only this convolution feeds is done band by band.
                        let next = index + 1
                        if next < count, case .maxpool(size: 2, stride: 2) = config.layers[next], out.height % 2 == 0,
                            out.width % 2 == 0, readers[index] == [next]
                        {
                            step.bandRows = max(2, step.bandRows & ~1)
                            step.pooledInto = next
                            skip.insert(next)
                            if !keeping.contains(index) {
                                step.keepsOutput = false
                                bufferFloats[index] = 0
                                workerResult = max(workerResult, filters * step.bandRows * out.width)
                            }
                        }
                        if !pointwise {
                            workerColumns = max(workerColumns, depth * step.bandRows * out.width)
                        }
                    } else if size == 3, stride == 1, pad == 1, Winograd.tiles(out) >= 100,
                        filters % Winograd.filterGroup == 0
                    {
                        // Many filters over enough pixels: 2.25 times fewer multiplications than im2col's.
                        // (On a 13×13 grid the products are too thin for SGEMM to gain.)
                        step.split = .winograd
                        step.bandRows = out.height
                        let tiles = Winograd.tiles(out)
                        sharedColumns = max(sharedColumns, 16 * shape.channels * tiles)
                        workerWinograd = max(workerWinograd, 16 * Winograd.filterGroup * tiles)
                    } else {
                        step.split = .filters
                        step.bandRows = min(out.height, max(1, Self.unfoldBudget / max(1, depth * out.width)))
                        if !pointwise {
                            sharedColumns = max(sharedColumns, depth * step.bandRows * out.width)
                        }
                    }
                    steps.append(step)
                case .route(let sources) where sources.count == 1:
                    // One routed layer: its output as it is.
                    owner[index] = owner[sources[0]]
                    bufferFloats[index] = 0
                case .yolo:
                    owner[index] = owner[index - 1]
                    bufferFloats[index] = 0
                default:
                    steps.append(Step(layer: index))
                }
            }
        }

        /// Floats a workspace holds for `workers`.
        func floats(workers: Int) -> Int {
            bufferFloats.reduce(0, +) + sharedColumns + workers * workerFloats
        }
    }

    /// One forward pass's buffers, in one allocation.
    final class Workspace: @unchecked Sendable {
        // Unchecked Sendable: a workspace is used by one pass at a time (the pool hands it to one caller);
        // within a pass, workers write disjoint parts of it.
        let plan: Plan
        let workers: Int
        private let storage: UnsafeMutableBufferPointer<Float>
        private let offsets: [Int]
        let columns: UnsafeMutablePointer<Float>
        private let scratchStart: Int

        init(plan: Plan, workers: Int) {
            self.plan = plan
            self.workers = workers
            storage = .allocate(capacity: max(1, plan.floats(workers: workers)))
            storage.initialize(repeating: 0)
            var offsets: [Int] = []
            var offset = 0
            for floats in plan.bufferFloats {
                offsets.append(offset)
                offset += floats
            }
            self.offsets = offsets
            columns = storage.baseAddress! + offset
            scratchStart = offset + plan.sharedColumns
        }

        deinit { storage.deallocate() }

        /// The buffer layer `layer` writes its output to.
        func buffer(_ layer: Int) -> UnsafeMutablePointer<Float> { storage.baseAddress! + offsets[plan.owner[layer]] }

        /// Layer `layer`'s output.
        func output(_ layer: Int) -> UnsafeBufferPointer<Float> {
            let owner = plan.owner[layer]
            return UnsafeBufferPointer(start: storage.baseAddress! + offsets[owner], count: plan.bufferFloats[owner])
        }

        /// Worker `worker`'s unfolded band and band result.
        func scratch(_ worker: Int) -> (columns: UnsafeMutablePointer<Float>, result: UnsafeMutablePointer<Float>) {
            let start = storage.baseAddress! + scratchStart + worker * plan.workerFloats
            return (start, start + plan.workerColumns)
        }
    }

    /// Workspaces not in use, kept for the next pass (at most two: more only while many passes overlap).
    final class WorkspacePool: Sendable {
        let idle = Mutex<[Workspace]>([])

        func take(plan: Plan, workers: Int) -> Workspace {
            let found = idle.withLock { idle -> Workspace? in
                guard let index = idle.firstIndex(where: { $0.workers == workers }) else { return nil }
                return idle.remove(at: index)
            }
            return found ?? Workspace(plan: plan, workers: workers)
        }

        func give(_ workspace: Workspace) {
            idle.withLock { idle in
                idle.append(workspace)
                if idle.count > 2 { idle.removeFirst() }
            }
        }
    }
}
