import Testing
import WireTesting

@testable import Gateway

/// L9: Content-Disposition and Content-Type parameters as RFC 6266 and RFC 8187 have them.
@Suite struct HeaderParametersTests {
    @Test(arguments: [
        (#"form-data; name="file"; filename="photo.jpg""#, "filename", "photo.jpg"),
        (#"form-data; name=file; filename=photo.jpg"#, "filename", "photo.jpg"),
        // A semicolon and an escaped quote inside the quotes belong to the value.
        (#"form-data; name="file"; filename="a;b \"c\".jpg""#, "filename", #"a;b "c".jpg"#),
        (#"form-data; filename="x; name=evil"; name="file""#, "name", "file"),
        // filename* wins, wherever it stands, and is percent-decoded UTF-8.
        (#"form-data; name="file"; filename*=UTF-8''%C3%A9t%C3%A9.jpg; filename="ete.jpg""#, "filename", "été.jpg"),
        (#"form-data; filename*=utf-8'en'na%20me.png"#, "filename", "na me.png"),
        (#"form-data; filename*=iso-8859-1''caf%E9.png"#, "filename", "café.png"),
        (#"FORM-DATA; NAME="file""#, "name", "file"),
        (#"multipart/form-data; boundary="----x;y""#, "boundary", "----x;y"),
        (#"multipart/form-data; boundary=abc"#, "boundary", "abc"),
    ])
    func parsesWhatRFCsAllow(header: String, name: String, expected: String) {
        #expect(HeaderParameters(header)[name] == expected)
    }

    @Test(arguments: [
        #"form-data; filename*=UTF-8''%ZZ.jpg"#,  // bad escape
        #"form-data; filename*=UTF-8''%C3.jpg"#,  // not UTF-8
        #"form-data; filename*=koi8-r''abc"#,  // unsupported charset
        #"form-data; filename*=abc"#,  // no charset
        #"form-data; filename="unterminated"#,
        #"form-data; filename"#,
        "form-data",
        "",
    ])
    func malformedParametersAreSkipped(header: String) {
        #expect(HeaderParameters(header)["filename"] == nil)
    }

    /// Any header text, however broken: the parser returns (no trap, no hang), and a value it gives never
    /// holds an unescaped quote from outside it.
    @Test func randomHeadersNeverTrap() {
        var generator = SeededGenerator(seed: 0xC0DE_D15C)
        let seeds = [
            #"form-data; name="file"; filename="a.jpg""#, #"form-data; filename*=UTF-8''%C3%A9.jpg"#,
            #"multipart/form-data; boundary="b""#,
        ]
        for round in 0..<20_000 {
            let header =
                round % 2 == 0
                ? HostileValues.text(&generator, maxLength: 60)
                : HostileValues.mutated(seeds[round % seeds.count], &generator)
            let parameters = HeaderParameters(header)
            for value in parameters.values.values { #expect(value.utf8.count <= header.utf8.count * 3 + 3) }
        }
        // Quotes pair up left to right: the first value is what lies between the first two.
        #expect(HeaderParameters(String(repeating: "; a=\"", count: 10_000))["a"] == "; a=")
    }
}
