import Foundation
import Imaging
import Testing
import WireTesting

/// Every number a client controls, at its extremes, through the operations and the JSON parser: an error
/// or a result, never a trap (review findings H1 and H3, and their class).
@Suite(.offCooperativePool) struct HostileParameterTests {
    let image = PixelBuffer(width: 40, height: 30, layout: .rgb, fill: 90)

    @Test func cropWithCoordinatesNearIntMaxIsAnError() {
        // H1: `x + width` trapped and ended ProcessSvc.
        for (x, y, width, height) in [
            (Int.max, 0, 1, 1), (0, Int.max, 1, 1), (1, 0, Int.max, 1), (0, 1, 1, Int.max),
            (Int.max, Int.max, Int.max, Int.max),
            (Int.max - 1, 0, 2, 2), (39, 0, Int.max, 1),
        ] {
            #expect(throws: ImagingError.self) { try image.cropped(x: x, y: y, width: width, height: height) }
        }
        #expect((try? image.cropped(x: 39, y: 29, width: 1, height: 1))?.width == 1)
    }

    /// Each operation over generated extreme values, straight and as parsed JSON: every outcome is an
    /// `ImagingError` or an image within the budget.
    @Test func everyOperationTakesExtremeNumbers() throws {
        var generator = SeededGenerator(seed: 0x4831)
        let ints = HostileValues.integers + (0..<20).map { _ in HostileValues.integer(&generator) }
        let doubles = HostileValues.doubles
        var operations: [Imaging.ImageOperation] = []
        for value in ints {
            operations += [
                .crop(x: value, y: 0, width: 10, height: 10), .crop(x: 0, y: 0, width: value, height: value),
                .resize(width: value, height: nil, fit: .contain, filter: .area),
                .resize(width: value, height: value, fit: .cover, filter: .lanczos3),
                .threshold(.value(value), mode: .binary), .sharpen(sigma: 1, amount: 1, threshold: value),
                .dehaze(DehazeParameters(patch: value)), .dehaze(DehazeParameters(radius: value)),
                .dehaze(DehazeParameters(subsampling: value)),
            ]
        }
        for value in doubles {
            operations += [
                .rotate(degrees: value, expand: true, background: nil), .blur(sigma: value, kind: .gaussian),
                .blur(sigma: value, kind: .box), .blur(sigma: value, kind: .median),
                .sharpen(sigma: value, amount: value, threshold: 0), .dehaze(DehazeParameters(omega: value)),
                .dehaze(DehazeParameters(t0: value, eps: value)),
            ]
        }
        let budget = 2_000_000
        for operation in operations {
            do {
                let pipeline = try Pipeline([operation])
                let result = try pipeline.run(on: image, parallelism: .single, pixelBudget: budget)
                #expect(result.width * result.height <= budget, "\(operation)")
            } catch {
                // An ImagingError is the only other outcome (typed throws).
            }
        }
    }

    @Test func hostileJSONNumbersAreErrorsWithMessages() {
        for text in HostileValues.numberTexts + ["1e400", "-1e400", "9223372036854775808", "1.5", "true", "null"] {
            for json in [
                #"[{"op":"crop","x":\#(text),"y":0,"width":1,"height":1}]"#,
                #"[{"op":"resize","width":\#(text)}]"#, #"[{"op":"rotate","degrees":\#(text)}]"#,
                #"[{"op":"blur","sigma":\#(text)}]"#, #"[{"op":"dehaze","patch":\#(text)}]"#,
            ] {
                do {
                    _ = try Imaging.ImageOperation.parseList(Array(json.utf8))
                } catch {
                    #expect(!error.description.isEmpty)
                }
            }
        }
    }

    @Test func anEnlargingResizeOverTheBudgetIsRefusedBeforeItAllocates() throws {
        // H3: 32768 × 32768 was accepted (each side within its cap) and allocated 3 GiB.
        let pipeline = try Pipeline([.resize(width: 32_768, height: 32_768, fit: .fill, filter: .area)])
        #expect(throws: ImagingError.overBudget(operation: "resize", width: 32_768, height: 32_768, budget: 1_000_000))
        {
            _ = try pipeline.run(on: image, parallelism: .single, pixelBudget: 1_000_000)
        }
        let rotate = try Pipeline([
            .resize(width: 1000, height: 1000, fit: .fill, filter: .area),
            .rotate(degrees: 45, expand: true, background: nil),
        ])
        #expect(throws: ImagingError.self) {
            _ = try rotate.run(on: image, parallelism: .single, pixelBudget: 1_500_000)
        }
        // Within the budget the same steps run.
        #expect(try rotate.run(on: image, parallelism: .single, pixelBudget: 3_000_000).width == 1415)
    }

    @Test(arguments: [1, 2])
    func aCancelledPipelineStopsAndSaysSo(threads: Int) throws {
        let big = PixelBuffer(width: 2000, height: 1500, layout: .rgb, fill: 120)
        let cancellation = Cancellation()
        cancellation.cancel()
        let pipeline = try Pipeline([.blur(sigma: 30, kind: .median), .dehaze(DehazeParameters())])
        #expect(throws: ImagingError.cancelled) {
            _ = try pipeline.run(on: big, parallelism: Parallelism(threads: threads, cancellation: cancellation))
        }
        // Cancelled while it runs: the kernels look at the flag between bands.
        let later = Cancellation()
        let parallelism = Parallelism(threads: threads, cancellation: later)
        let thread = Thread {
            Thread.sleep(forTimeInterval: 0.05); later.cancel()
        }
        thread.start()
        let slow = try Pipeline(Array(repeating: .blur(sigma: 40, kind: .median), count: 32))
        #expect(throws: ImagingError.cancelled) { _ = try slow.run(on: big, parallelism: parallelism) }
    }
}
