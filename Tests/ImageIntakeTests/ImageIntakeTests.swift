import Contracts
import ImageIntake
import Imaging
import TestImages
import Testing
import Wire

/// Taking an image in: the whole file decodes before it is accepted, and each way it can fail has its
/// own Wire code (which the gateway turns into 400, 413, 415 or 422).
@Suite struct ImageIntakeTests {
    @Test func wholeImagesAreAcceptedWithTheirHeader() throws {
        let jpeg = try ImageIntake.inspect(TestImages.building, pixelLimit: 100_000_000)
        #expect(jpeg.format == .jpeg && (jpeg.width, jpeg.height) == (868, 600))
        let png = try ImageIntake.inspect(TestImages.camera, pixelLimit: 100_000_000)
        #expect(png.format == .png && png.width > 0 && png.height > 0)
    }

    @Test func eachFailureHasItsCode() {
        func code(_ bytes: [UInt8], limit: Int = 100_000_000) -> WireError.Code? {
            do {
                _ = try ImageIntake.inspect(bytes, pixelLimit: limit)
                return nil
            } catch { return error.code }
        }
        #expect(code([]) == .invalidArgument)
        #expect(code(Array("not a picture".utf8)) == .unsupportedMediaType)
        // A JPEG cut in half: its header reads, its data does not.
        #expect(code(Array(TestImages.building.prefix(TestImages.building.count / 2))) == .invalidImage)
        // More pixels than allowed: an image this service will not use (422, not 413: the bytes were fine).
        #expect(code(TestImages.building, limit: 1000) == .invalidImage)
    }
}
