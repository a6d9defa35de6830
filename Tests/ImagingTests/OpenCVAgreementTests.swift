import Imaging
import TestImages
import Testing

/// Each operation against OpenCV 4.14's output for the same input (Fixtures/<photo>_<op>.png). The inputs
/// are two refbench photos at half size: robin (RGB) and camera (gray).
@Suite(.offCooperativePool) struct OpenCVAgreementTests {
    /// Largest allowed per-byte difference and mean difference for each operation, with the reason.
    static let cases: [(name: String, operation: ImageOperation, maximum: Int, mean: Double)] = [
        // Coverage weights as INTER_AREA: only float rounding differs.
        ("resize_area_quarter", .resize(width: nil, height: nil, fit: .fill, filter: .area), 1, 0.05),
        ("resize_area_third", .resize(width: nil, height: nil, fit: .fill, filter: .area), 1, 0.05),
        // OpenCV interpolates in 11-bit fixed point, we in float: a tenth of the bytes round the other way.
        ("resize_linear_2x", .resize(width: nil, height: nil, fit: .fill, filter: .bilinear), 1, 0.15),
        ("resize_cubic_2x", .resize(width: nil, height: nil, fit: .fill, filter: .bicubic), 1, 0.05),
        // OpenCV's 8-bit Gaussian uses a fixed-point kernel.
        ("gaussian_sigma3", .blur(sigma: 3, kind: .gaussian), 1, 0.05),
        ("box_radius2", .blur(sigma: 2, kind: .box), 1, 0.05),
        ("median_radius2", .blur(sigma: 2, kind: .median), 0, 0),
        // OpenCV rounds the blur to 8 bits before the weighted sum: up to amount × 0.5 apart.
        ("unsharp_sigma2_amount1", .sharpen(sigma: 2, amount: 1, threshold: 0), 1, 0.1),
        ("threshold_127", .threshold(.value(127), mode: .binary), 0, 0),
        ("threshold_100_inv", .threshold(.value(100), mode: .binaryInverted), 0, 0),
        ("threshold_otsu", .threshold(.otsu, mode: .binary), 0, 0),
        ("gray", .color(.gray), 0, 0),
        ("hsv", .color(.hsv), 0, 0),
        ("rotate_90_cw", .rotate(degrees: -90, expand: true, background: nil), 0, 0),
        // The same fixed-point warpAffine arithmetic.
        ("rotate_17_expand", .rotate(degrees: 17, expand: true, background: nil), 1, 0.01),
        ("rotate_m30_expand", .rotate(degrees: -30, expand: true, background: nil), 1, 0.01),
    ]

    @Test(arguments: ["robin", "camera"])
    func everyOperationAgreesWithOpenCV(photo: String) throws {
        let input = try Fixture.image("\(photo).png")
        for (name, operation, maximum, mean) in Self.cases {
            if photo == "camera" && name == "hsv" { continue }
            let expected = try Fixture.image("\(photo)_\(name).png")
            let actual = try Self.run(
                operation, named: name, on: input, expectedSize: (expected.width, expected.height))
            #expect(actual.width == expected.width && actual.height == expected.height, "\(photo) \(name) size")
            #expect(actual.layout == expected.layout, "\(photo) \(name) layout")
            guard actual.width == expected.width, actual.height == expected.height, actual.layout == expected.layout
            else { continue }
            let difference = ImageComparison.difference(actual, expected)
            #expect(difference.maximum <= maximum, "\(photo) \(name): \(difference)")
            #expect(difference.mean <= mean, "\(photo) \(name): \(difference)")
        }
    }

    @Test func otsuLevelIsOpenCVs() throws {
        let expected = try Fixture.expected()["inputs"] as! [String: [String: Any]]
        for photo in ["robin", "camera"] {
            let level = try Fixture.image("\(photo).png").otsuThresholded().level
            #expect(level == expected[photo]!["otsu_level"] as! Int, "\(photo)")
        }
    }

    /// Resizes take their size from the expected output (the fixtures name the scale, not the size).
    static func run(_ operation: ImageOperation, named name: String, on input: PixelBuffer, expectedSize: (Int, Int))
        throws -> PixelBuffer
    {
        if case .resize(_, _, let fit, let filter) = operation {
            return try input.resized(width: expectedSize.0, height: expectedSize.1, fit: fit, filter: filter)
        }
        return try Pipeline([operation]).run(on: input)
    }
}
