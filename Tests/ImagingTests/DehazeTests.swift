import Foundation
import Imaging
import TestImages
import Testing

/// Dehaze on refbench's synthetic hazy scenes: the haze is made here with dcp_ref.py's formula from the
/// scene's photo, then scored the way the reference was (PSNR and SSIM against the clear photo).
@Suite(.offCooperativePool) struct DehazeTests {
    @Test(arguments: ["home.jpg", "building.jpg", "leuvenA.jpg"])
    func reachesTheReferenceQuality(scene: String) throws {
        let expected = (try Fixture.expected()["dehaze"] as! [String: [String: Any]])[scene]!
        let clear = try Fixture.image(scene)
        #expect(sha256Hex(clear.pixels) == expected["clear_sha256_rgb"] as! String, "the photo decodes as OpenCV's")
        let hazy = Self.hazy(clear, scene: expected)
        #expect(sha256Hex(hazy.pixels) == expected["hazy_sha256_rgb"] as! String, "the haze is the reference's")

        let (dehazed, report) = try hazy.dehazedWithReport()
        let reference = expected["reference"] as! [String: Any]
        let psnr = ImageComparison.psnr(dehazed, clear)
        let ssim = ImageComparison.ssim(dehazed, clear)
        #expect(abs(psnr - (reference["psnr_dcp"] as! Double)) <= 0.3, "PSNR \(psnr)")
        #expect(abs(ssim - (reference["ssim_dcp"] as! Double)) <= 0.005, "SSIM \(ssim)")
        // The atmospheric light is the same pixel the reference picked.
        let pixel = reference["A_est_pixel_xy"] as! [Int]
        #expect([report.atmosphericLightPixel.x, report.atmosphericLightPixel.y] == pixel)
        let light = reference["A_est_rgb"] as! [Double]
        for channel in 0..<3 { #expect(abs(report.atmosphericLight[channel] - light[channel]) < 1e-9) }
        // Scoring itself agrees with scikit-image on the hazy input.
        #expect(abs(ImageComparison.psnr(hazy, clear) - (reference["psnr_hazy"] as! Double)) < 1e-6)
        #expect(abs(ImageComparison.ssim(hazy, clear) - (reference["ssim_hazy"] as! Double)) < 1e-6)
    }

    @Test func fastGuidedFilterStaysClose() throws {
        let expected = (try Fixture.expected()["dehaze"] as! [String: [String: Any]])["building.jpg"]!
        let clear = try Fixture.image("building.jpg")
        let hazy = Self.hazy(clear, scene: expected)
        let exact = try hazy.dehazed()
        let fast = try hazy.dehazed(DehazeParameters(subsampling: 4))
        #expect(ImageComparison.psnr(fast, exact) > 35)
        #expect(abs(ImageComparison.psnr(fast, clear) - ImageComparison.psnr(exact, clear)) < 0.3)
    }

    @Test func singleThreadedEqualsParallel() throws {
        let photo = try Fixture.image("robin.png")
        #expect(try photo.dehazed(parallelism: .single) == photo.dehazed(parallelism: Parallelism(threads: 3)))
    }

    @Test func alphaAndGrayAreHandled() throws {
        let rgba = positionImage(width: 40, height: 30, layout: .rgba)
        let dehazed = try rgba.dehazed(DehazeParameters(patch: 3, radius: 4))
        #expect(dehazed.layout == .rgba)
        for index in 0..<rgba.pixelCount { #expect(dehazed.pixels[index * 4 + 3] == rgba.pixels[index * 4 + 3]) }
        // Without alpha the scene radiance is recovered by the chunked, vectorised loop; with alpha by the
        // per-pixel one: the same bytes (1,200 pixels: a full chunk of 1,024 and a partial one).
        let opaque = try rgba.droppingAlpha().dehazed(DehazeParameters(patch: 3, radius: 4))
        #expect(opaque == dehazed.droppingAlpha())
        let gray = try Fixture.image("camera.png").dehazed()
        #expect(gray.layout == .gray && gray.width == 256)
    }

    @Test func parametersOutOfRangeAreRejected() {
        let image = positionImage(width: 8, height: 8)
        for parameters in [
            DehazeParameters(patch: 14), DehazeParameters(patch: 0), DehazeParameters(omega: 0),
            DehazeParameters(omega: 1.5), DehazeParameters(t0: 1), DehazeParameters(radius: 0),
            DehazeParameters(eps: 0), DehazeParameters(subsampling: 17),
        ] {
            #expect(throws: ImagingError.self) { try image.dehazed(parameters) }
        }
    }

    /// I = J t + A (1 − t), t = exp(−β d), d from a vertical gradient and one Gaussian blob (dcp_ref.synth).
    static func hazy(_ clear: PixelBuffer, scene: [String: Any]) -> PixelBuffer {
        let beta = scene["beta"] as! Double
        let light = scene["airlight_rgb"] as! [Double]
        let centre = scene["centre"] as! [Double]
        let sigma = scene["sigma"] as! Double
        let amp = scene["amp"] as! Double
        var hazy = clear
        for y in 0..<clear.height {
            let v = (Double(y) + 0.5) / Double(clear.height)
            for x in 0..<clear.width {
                let u = (Double(x) + 0.5) / Double(clear.width)
                let blob =
                    amp
                    * exp(
                        -((u - centre[0]) * (u - centre[0]) + (v - centre[1]) * (v - centre[1])) / (2 * sigma * sigma))
                let depth = min(max(0.1 + 0.9 * (1 - v) + blob, 0.05), 1.3)
                let t = exp(-beta * depth)
                for c in 0..<3 {
                    let index = (y * clear.width + x) * 3 + c
                    let value = Double(clear.pixels[index]) / 255 * t + light[c] * (1 - t)
                    hazy.pixels[index] = UInt8(min(max((value * 255).rounded(.toNearestOrEven), 0), 255))
                }
            }
        }
        return hazy
    }
}
