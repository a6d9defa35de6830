import Foundation
import Imaging
import TestImages
import Testing

@Suite(.offCooperativePool) struct PipelineTests {
    @Test func rejectsTooManyOperations() {
        #expect(throws: ImagingError.self) { try Pipeline(Array(repeating: .flip(.horizontal), count: 33)) }
    }

    @Test func runsOperationsInOrder() throws {
        let image = positionImage(width: 40, height: 30)
        let pipeline = try Pipeline([.crop(x: 10, y: 5, width: 20, height: 10), .flip(.horizontal), .color(.invert)])
        let result = try pipeline.run(on: image)
        let expected = try image.cropped(x: 10, y: 5, width: 20, height: 10).flipped(.horizontal).inverted()
        #expect(result == expected)
        // A crop that does not fit the image at that point of the pipeline is an error.
        #expect(throws: ImagingError.self) {
            try Pipeline([
                .resize(width: 10, height: nil, fit: .contain, filter: .area), .crop(x: 0, y: 0, width: 20, height: 5),
            ])
            .run(on: image)
        }
    }

    @Test func processDecodesScaledWhenItStartsByShrinking() throws {
        let jpeg = try ImageCodec.encode(positionImage(width: 800, height: 600), as: .jpeg)
        let pipeline = try Pipeline([.resize(width: 100, height: nil, fit: .contain, filter: .area)])
        let header = try ImageCodec.header(of: jpeg)
        // 800×600 → 100×75 needs no more than 1/4 scale (200×150); 1/8 (100×75) also covers it.
        let target = try #require(pipeline.decodeTarget(for: header))
        #expect(target == (100, 75))
        let (bytes, format, image) = try pipeline.process(jpeg, format: .png)
        #expect(format == .png && image.width == 100 && image.height == 75)
        #expect(try ImageCodec.decode(bytes) == image)
        // A pipeline that does not start by shrinking decodes at full size.
        #expect(try Pipeline([.flip(.horizontal)]).decodeTarget(for: header) == nil)
    }

    @Test func autorotateUsesTheEXIFOrientation() throws {
        let stored = positionImage(width: 48, height: 32)
        let jpeg = TestImages.withOrientation(
            6, try ImageCodec.encode(stored, as: .jpeg, quality: 100), bigEndian: true)
        let header = try ImageCodec.header(of: jpeg)
        #expect(header.orientation == .right)
        #expect(header.orientedSize == (32, 48))
        let (_, _, upright) = try Pipeline([.autorotate]).process(jpeg)
        #expect(upright == (try ImageCodec.decode(jpeg)).rotated(.clockwise))
        // Little-endian EXIF, orientation 8; a resize after autorotate sees the upright size.
        let left = TestImages.withOrientation(8, try ImageCodec.encode(stored, as: .jpeg), bigEndian: false)
        #expect(try ImageCodec.header(of: left).orientation == .left)
        let (_, _, resized) = try Pipeline([.autorotate, .resize(width: 16, height: nil, fit: .contain, filter: .area)])
            .process(left)
        #expect(resized.width == 16 && resized.height == 24)
    }

    @Test func thumbnailsAreSmallUprightJPEGs() throws {
        let photo = positionImage(width: 1200, height: 800)
        let jpeg = TestImages.withOrientation(6, try ImageCodec.encode(photo, as: .jpeg), bigEndian: true)
        let thumbnail = try ImageCodec.decode(Thumbnailer().jpeg(from: jpeg))
        #expect(thumbnail.width == 171 && thumbnail.height == 256)
        // Small images are not enlarged.
        let small = try ImageCodec.encode(positionImage(width: 100, height: 50), as: .png)
        let smallThumbnail = try Thumbnailer().image(from: small)
        #expect(smallThumbnail.width == 100 && smallThumbnail.height == 50)
        #expect(throws: ImagingError.empty) { try Thumbnailer().jpeg(from: []) }
    }
}
