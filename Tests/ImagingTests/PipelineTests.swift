import Foundation
import Imaging
import TestImages
import Testing

@Suite(.offCooperativePool) struct PipelineTests {
    @Test func parsesTheJSONFormOfEveryOperation() throws {
        let json = """
            [{"op":"autorotate"},
             {"op":"resize","width":800,"fit":"cover","filter":"lanczos3"},
             {"op":"sharpen","sigma":1.5,"amount":0.8,"threshold":3},
             {"op":"threshold","method":"otsu","mode":"binary_inv"},
             {"op":"threshold","value":128},
             {"op":"color","mode":"sepia"},
             {"op":"blur","sigma":2,"kind":"median"},
             {"op":"rotate","degrees":17,"expand":false,"background":"#ffffff80"},
             {"op":"flip","axis":"vertical"},
             {"op":"crop","x":1,"y":2,"width":30,"height":40},
             {"op":"dehaze","patch":7,"radius":30,"subsampling":2}]
            """
        let operations = try Operation.parseList(Array(json.utf8))
        #expect(
            operations == [
                .autorotate,
                .resize(width: 800, height: nil, fit: .cover, filter: .lanczos3),
                .sharpen(sigma: 1.5, amount: 0.8, threshold: 3),
                .threshold(.otsu, mode: .binaryInverted),
                .threshold(.value(128), mode: .binary),
                .color(.sepia),
                .blur(sigma: 2, kind: .median),
                .rotate(degrees: 17, expand: false, background: Color(red: 255, green: 255, blue: 255, alpha: 128)),
                .flip(.vertical),
                .crop(x: 1, y: 2, width: 30, height: 40),
                .dehaze(DehazeParameters(patch: 7, radius: 30, subsampling: 2)),
            ])
        // And back: encoding then parsing gives the same list.
        let encoded = try JSONEncoder().encode(operations)
        #expect(try Operation.parseList(encoded) == operations)
        #expect(try Operation.parseList(Array(#"[{"op":"dehaze"}]"#.utf8)) == [.dehaze(DehazeParameters())])
    }

    @Test(arguments: [
        (#"[{"op":"explode"}]"#, "unknown operation 'explode'"),
        (#"[{"op":"resize","widht":10}]"#, "resize has no parameter 'widht'"),
        (#"[{"op":"resize"}]"#, "give width, height or both"),
        (#"[{"op":"resize","width":"ten"}]"#, "expected an integer"),
        (#"[{"op":"resize","width":0}]"#, "width must be 1…32768, got 0"),
        (#"[{"op":"resize","width":10,"fit":"squash"}]"#, "'fit' has an unknown value"),
        (#"[{"op":"threshold","value":300}]"#, "value must be 0…255, got 300"),
        (#"[{"op":"threshold"}]"#, "threshold needs 'value'"),
        (#"[{"op":"threshold","method":"mean"}]"#, "method must be 'otsu'"),
        (#"[{"op":"blur","sigma":-2}]"#, "sigma must be in (0, 200]"),
        (#"[{"op":"rotate"}]"#, "rotate needs 'degrees'"),
        (#"[{"op":"rotate","degrees":10,"background":"red"}]"#, "#RRGGBB"),
        (#"[{"op":"crop","x":0,"y":0,"width":0,"height":5}]"#, "width and height must be 1 or more"),
        (#"[{"op":"dehaze","omega":2}]"#, "omega must be in (0, 1]"),
        (#"[{"width":5}]"#, "'op' is missing"),
        (#"{"op":"flip"}"#, "not a JSON array"),
        (#"[{"op":"flip"}"#, "not a JSON array"),
    ])
    func rejectsBadOperationsWithAClearMessage(json: String, message: String) {
        do {
            _ = try Operation.parseList(Array(json.utf8))
            Issue.record("\(json) parsed")
        } catch {
            #expect(error.description.contains(message), "\(json): \(error.description)")
        }
    }

    @Test func rejectsTooManyOperations() {
        let json = "[" + Array(repeating: #"{"op":"flip"}"#, count: 33).joined(separator: ",") + "]"
        #expect(throws: ImagingError.self) { try Operation.parseList(Array(json.utf8)) }
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
